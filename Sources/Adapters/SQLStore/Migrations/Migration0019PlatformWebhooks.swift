/// Inbound platform webhooks (`/connectors.php?slug=…`): each site's signing secret per platform
/// (sealed with the master key) and the platform event ids already taken in, so a redelivery does nothing.
let migration0019PlatformWebhooks = Migration(version: 19, name: "platform_webhooks") { d in
    [
        """
        CREATE TABLE platform_webhook_secrets (
          \(d.autoID),
          workspace_id BIGINT NOT NULL,
          slug \(d.token(64)) NOT NULL,
          secret_sealed \(d.text) NOT NULL,
          updated_at BIGINT NOT NULL
        )\(d.tableOptions)
        """,
        "CREATE UNIQUE INDEX ux_platform_webhook_secrets ON platform_webhook_secrets (workspace_id, slug)",
        """
        CREATE TABLE platform_webhook_events (
          \(d.autoID),
          workspace_id BIGINT NOT NULL,
          slug \(d.token(64)) NOT NULL,
          external_id \(d.token(190)) NOT NULL,
          event_type \(d.token(190)) NOT NULL,
          received_at BIGINT NOT NULL
        )\(d.tableOptions)
        """,
        "CREATE UNIQUE INDEX ux_platform_webhook_events ON platform_webhook_events (workspace_id, slug, external_id)",
    ]
}
