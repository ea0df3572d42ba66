/// Automations (trigger, condition, steps), their run log, and the durable outbox cursors of the
/// worker's consumers (the event trigger reads the outbox after commit from its own cursor).
let migration0018Automations = Migration(version: 18, name: "automations") { d in
    [
        """
        CREATE TABLE automations (
          \(d.autoID),
          workspace_id BIGINT NOT NULL,
          name \(d.varchar(190)) NOT NULL,
          trigger_kind \(d.token(16)) NOT NULL,
          trigger_config \(d.text) NOT NULL,
          hook_token \(d.token(64)) NOT NULL,
          hook_secret_sealed \(d.text) NULL,
          condition_text \(d.text) NOT NULL,
          steps \(d.text) NOT NULL,
          enabled INT NOT NULL,
          created_by BIGINT NULL,
          created_at BIGINT NOT NULL,
          updated_at BIGINT NOT NULL
        )\(d.tableOptions)
        """,
        "CREATE INDEX ix_automations_workspace ON automations (workspace_id, name)",
        "CREATE INDEX ix_automations_kind ON automations (trigger_kind, enabled)",
        "CREATE UNIQUE INDEX ux_automations_hook ON automations (hook_token)",
        """
        CREATE TABLE automation_runs (
          \(d.autoID),
          workspace_id BIGINT NOT NULL,
          automation_id BIGINT NOT NULL,
          trigger_kind \(d.token(16)) NOT NULL,
          dedupe_key \(d.token(190)) NULL,
          status \(d.token(16)) NOT NULL,
          input \(d.text) NOT NULL,
          steps_log \(d.text) NOT NULL,
          error \(d.text) NULL,
          dry_run INT NOT NULL,
          created_at BIGINT NOT NULL,
          started_at BIGINT NULL,
          finished_at BIGINT NULL,
          duration_ms BIGINT NULL
        )\(d.tableOptions)
        """,
        "CREATE INDEX ix_automation_runs_list ON automation_runs (workspace_id, automation_id, id)",
        "CREATE UNIQUE INDEX ux_automation_runs_dedupe ON automation_runs (automation_id, dedupe_key)",
        """
        CREATE TABLE outbox_cursors (
          name \(d.token(64)) NOT NULL PRIMARY KEY,
          last_sequence BIGINT NOT NULL,
          updated_at BIGINT NOT NULL
        )\(d.tableOptions)
        """,
    ]
}
