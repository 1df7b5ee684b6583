//! Verified inbound webhooks.
