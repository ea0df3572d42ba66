/// Outgoing mail (the durable mail outbox every email OpsIQ sends goes through, written in the same
/// transaction as the change that caused it) and the per-site email templates.
let migration0009Mail = Migration(version: 9, name: "mail_outbox_templates") { d in
    [
        """
        CREATE TABLE mail_outbox (
          \(d.autoID),
          workspace_id BIGINT NOT NULL,
          ticket_id BIGINT NULL,
          kind \(d.token(64)) NOT NULL,
          automatic INT NOT NULL,
          status \(d.token(16)) NOT NULL,
          to_email \(d.varchar(190)) NOT NULL,
          to_name \(d.varchar(190)) NOT NULL,
          from_email \(d.varchar(190)) NOT NULL,
          from_name \(d.varchar(190)) NOT NULL,
          reply_to \(d.varchar(190)) NOT NULL,
          subject \(d.text) NOT NULL,
          message_id \(d.token(250)) NOT NULL,
          headers \(d.text) NOT NULL,
          text_body \(d.text) NOT NULL,
          html_body \(d.text) NULL,
          attempts INT NOT NULL,
          last_error \(d.text) NULL,
          created_at BIGINT NOT NULL,
          sent_at BIGINT NULL
        )\(d.tableOptions)
        """,
        "CREATE INDEX ix_mail_outbox_created ON mail_outbox (workspace_id, created_at)",
        "CREATE INDEX ix_mail_outbox_ticket ON mail_outbox (workspace_id, ticket_id, created_at)",
        "CREATE INDEX ix_mail_outbox_to ON mail_outbox (workspace_id, to_email, created_at)",
        "CREATE INDEX ix_mail_outbox_message ON mail_outbox (workspace_id, message_id)",
        """
        CREATE TABLE email_templates (
          \(d.autoID),
          workspace_id BIGINT NOT NULL,
          template_key \(d.token(64)) NOT NULL,
          subject \(d.text) NOT NULL,
          body \(d.text) NOT NULL,
          updated_by BIGINT NULL,
          updated_at BIGINT NOT NULL
        )\(d.tableOptions)
        """,
        "CREATE UNIQUE INDEX ux_email_templates_key ON email_templates (workspace_id, template_key)",
    ]
}
