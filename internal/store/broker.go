package store

import "sync"

// Subscription receives published events until Close.
type Subscription struct {
	// C delivers events. It is never closed by the publisher; after Close
	// no more events arrive.
	C      <-chan Event
	c      chan Event
	topics []Topic
	broker *Broker
	once   sync.Once
}

// Close ends the subscription. Safe to call twice.
func (s *Subscription) Close() {
	s.once.Do(func() { s.broker.remove(s) })
}

// Broker fans events out to in-process subscribers. SQLite uses it alone
// (one process owns the file); PostgreSQL feeds it from LISTEN so that
// events from every node reach local subscribers.
type Broker struct {
	mu   sync.Mutex
	subs map[Topic]map[*Subscription]struct{}
}

// NewBroker returns an empty broker.
func NewBroker() *Broker {
	return &Broker{subs: make(map[Topic]map[*Subscription]struct{})}
}

// subscriberBuffer bounds each subscriber's backlog. Events are hints: a
// subscriber that falls this far behind loses events, and every consumer
// also has a timer that re-reads the truth from the database.
const subscriberBuffer = 256

// Subscribe returns a subscription to topics.
func (b *Broker) Subscribe(topics ...Topic) *Subscription {
	c := make(chan Event, subscriberBuffer)
	s := &Subscription{C: c, c: c, topics: topics, broker: b}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, t := range topics {
		if b.subs[t] == nil {
			b.subs[t] = make(map[*Subscription]struct{})
		}
		b.subs[t][s] = struct{}{}
	}
	return s
}

// Publish delivers e to every subscriber of its topic without blocking.
func (b *Broker) Publish(e Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs[e.Topic] {
		select {
		case s.c <- e:
		default: // subscriber is behind; it will re-read the database
		}
	}
}

// Subscribers reports whether anyone listens to topic.
func (b *Broker) Subscribers(topic Topic) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.subs[topic])
}

func (b *Broker) remove(s *Subscription) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, t := range s.topics {
		delete(b.subs[t], s)
	}
}
