/// Outbound webhooks: endpoints (secrets sealed), one delivery row per (endpoint, event) with its
/// retry state, every attempt for the delivery log, and the dispatcher's durable outbox cursor.
let migration0015Webhooks = Migration(version: 15, name: "webhooks") { d in
    [
        """
        CREATE TABLE webhook_endpoints (
          \(d.autoID),
          workspace_id BIGINT NOT NULL,
          url \(d.text) NOT NULL,
          description \(d.varchar(500)) NOT NULL,
          events \(d.text) NOT NULL,
          secret_sealed \(d.text) NOT NULL,
          previous_secret_sealed \(d.text) NULL,
          previous_secret_expires_at BIGINT NULL,
          enabled INT NOT NULL,
          disabled_reason \(d.varchar(500)) NULL,
          disabled_at BIGINT NULL,
          consecutive_failures INT NOT NULL,
          after_seq BIGINT NOT NULL,
          lease_holder \(d.token(120)) NULL,
          lease_until BIGINT NULL,
          created_at BIGINT NOT NULL,
          updated_at BIGINT NOT NULL
        )\(d.tableOptions)
        """,
        "CREATE INDEX ix_webhook_endpoints_workspace ON webhook_endpoints (workspace_id, id)",
        """
        CREATE TABLE webhook_deliveries (
          \(d.autoID),
          workspace_id BIGINT NOT NULL,
          endpoint_id BIGINT NOT NULL,
          event_seq BIGINT NOT NULL,
          event_id \(d.token(64)) NOT NULL,
          event_type \(d.token(120)) NOT NULL,
          status \(d.token(16)) NOT NULL,
          attempts INT NOT NULL,
          next_attempt_at BIGINT NOT NULL,
          last_status_code INT NULL,
          last_error \(d.text) NULL,
          event_created_at BIGINT NOT NULL,
          created_at BIGINT NOT NULL,
          delivered_at BIGINT NULL
        )\(d.tableOptions)
        """,
        "CREATE UNIQUE INDEX ux_webhook_deliveries_event ON webhook_deliveries (endpoint_id, event_seq)",
        "CREATE INDEX ix_webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at)",
        "CREATE INDEX ix_webhook_deliveries_log ON webhook_deliveries (workspace_id, endpoint_id, id)",
        """
        CREATE TABLE webhook_attempts (
          \(d.autoID),
          workspace_id BIGINT NOT NULL,
          delivery_id BIGINT NOT NULL,
          endpoint_id BIGINT NOT NULL,
          attempt INT NOT NULL,
          at BIGINT NOT NULL,
          request_headers \(d.text) NOT NULL,
          request_body \(d.text) NOT NULL,
          status_code INT NULL,
          response_excerpt \(d.text) NOT NULL,
          error \(d.text) NULL,
          duration_ms INT NOT NULL
        )\(d.tableOptions)
        """,
        "CREATE INDEX ix_webhook_attempts_delivery ON webhook_attempts (workspace_id, delivery_id, id)",
        "INSERT INTO sequences (name, value) VALUES ('webhook_dispatch', 0)",
    ]
}
