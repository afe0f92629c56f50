package worker

// SlotGiveBacks exports slotGiveBacks to the external tests.
const SlotGiveBacks = slotGiveBacks
