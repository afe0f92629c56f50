-- +goose Up
-- Billing (billing.go): Lemon Squeezy subscriptions, the webhook deliveries
-- Prikke accepted, and what a plan change paused. Expand only: a node of
-- the previous release keeps working against this schema (every new
-- column has a default, nothing it reads or writes changes).

-- The tier an organization has without a subscription (the operator's
-- default or set-tier); organizations.tier stays the enforced, computed
-- one. Until now the two were the same.
ALTER TABLE organizations ADD COLUMN base_tier {{.Text}} NOT NULL DEFAULT 'free' CHECK (base_tier IN ('free', 'pro'));
UPDATE organizations SET base_tier = tier;

-- 'plan' when a downgrade paused the job or monitor (an upgrade resumes
-- exactly those); '' for a user's own pause.
ALTER TABLE jobs ADD COLUMN pause_reason {{.Text}} NOT NULL DEFAULT '';
ALTER TABLE monitors ADD COLUMN pause_reason {{.Text}} NOT NULL DEFAULT '';

-- The stored copy of each subscription, keyed by Lemon Squeezy's id. An
-- unclaimed one (no known organization in its custom data) has no
-- organization, and one whose organization is deleted becomes unclaimed:
-- a subscription is never dropped.
CREATE TABLE subscriptions (
    id              {{.Text}} PRIMARY KEY,
    organization_id {{.ID}} REFERENCES organizations (id) ON DELETE SET NULL,
    store_id        {{.Text}} NOT NULL DEFAULT '',
    customer_id     {{.Text}} NOT NULL DEFAULT '',
    order_id        {{.Text}} NOT NULL DEFAULT '',
    product_id      {{.Text}} NOT NULL DEFAULT '',
    variant_id      {{.Text}} NOT NULL DEFAULT '',
    status          {{.Text}} NOT NULL,
    pause_mode      {{.Text}} NOT NULL DEFAULT '',
    customer_email  {{.Text}} NOT NULL DEFAULT '',
    customer_name   {{.Text}} NOT NULL DEFAULT '',
    card_brand      {{.Text}} NOT NULL DEFAULT '',
    card_last_four  {{.Text}} NOT NULL DEFAULT '',
    renews_at       {{.Time}},
    ends_at         {{.Time}},
    trial_ends_at   {{.Time}},
    test_mode       {{.Bool}} NOT NULL DEFAULT {{.False}},
    -- Lemon Squeezy's own instants: an older copy never overwrites a newer.
    created_at      {{.Time}} NOT NULL,
    updated_at      {{.Time}} NOT NULL,
    -- When Prikke last wrote it.
    synced_at       {{.Time}} NOT NULL
);
CREATE INDEX subscriptions_organization_idx ON subscriptions (organization_id);
CREATE INDEX subscriptions_email_idx ON subscriptions (lower(customer_email));

-- Every accepted delivery, by the hash of its body: the primary key is the
-- replay guard. A delivery outlives its organization (the guard must).
CREATE TABLE billing_events (
    hash            {{.Text}} PRIMARY KEY,
    name            {{.Text}} NOT NULL,
    subscription_id {{.Text}} NOT NULL DEFAULT '',
    organization_id {{.ID}} REFERENCES organizations (id) ON DELETE SET NULL,
    invoice_status  {{.Text}} NOT NULL DEFAULT '',
    invoice_total   {{.Text}} NOT NULL DEFAULT '',
    test_mode       {{.Bool}} NOT NULL DEFAULT {{.False}},
    outcome         {{.Text}} NOT NULL,
    received_at     {{.Time}} NOT NULL
);
CREATE INDEX billing_events_organization_idx ON billing_events (organization_id, received_at);

-- +goose Down
DROP TABLE billing_events;
DROP TABLE subscriptions;
ALTER TABLE monitors DROP COLUMN pause_reason;
ALTER TABLE jobs DROP COLUMN pause_reason;
ALTER TABLE organizations DROP COLUMN base_tier;
