/// Access: sessions, login protection, 2FA, invitations, password resets, departments, API keys,
/// shared rate limits, settings, audit log and the IP blocklist.
let migration0002Access = Migration(version: 2, name: "access") { d in
    [
        "ALTER TABLE users ADD COLUMN totp_secret_enc \(d.text) NULL",
        "ALTER TABLE users ADD COLUMN totp_enabled INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE users ADD COLUMN recovery_codes \(d.text) NULL",
        "ALTER TABLE users ADD COLUMN last_login_at BIGINT NULL",
        """
        CREATE TABLE sessions (
          token_hash \(d.token(64)) NOT NULL PRIMARY KEY,
          user_id BIGINT NOT NULL,
          csrf_token \(d.token(64)) NOT NULL,
          workspace_id BIGINT NULL,
          second_factor_pending INTEGER NOT NULL DEFAULT 0,
          ip \(d.varchar(64)) NOT NULL,
          user_agent \(d.varchar(255)) NOT NULL,
          created_at BIGINT NOT NULL,
          last_seen_at BIGINT NOT NULL,
          expires_at BIGINT NOT NULL
        )\(d.tableOptions)
        """,
        "CREATE INDEX ix_sessions_user ON sessions (user_id)",
        """
        CREATE TABLE failed_logins (
          \(d.autoID),
          at BIGINT NOT NULL,
          ip \(d.varchar(64)) NOT NULL,
          country \(d.varchar(8)) NOT NULL,
          email \(d.varchar(190)) NOT NULL,
          reason \(d.token(32)) NOT NULL,
          user_agent \(d.varchar(255)) NOT NULL
        )\(d.tableOptions)
        """,
        "CREATE INDEX ix_failed_logins_email ON failed_logins (email, at)",
        "CREATE INDEX ix_failed_logins_ip ON failed_logins (ip, at)",
        """
        CREATE TABLE one_time_tokens (
          token_hash \(d.token(64)) NOT NULL PRIMARY KEY,
          purpose \(d.token(32)) NOT NULL,
          user_id BIGINT NULL,
          email \(d.varchar(190)) NOT NULL,
          payload \(d.text) NOT NULL,
          created_by BIGINT NULL,
          created_at BIGINT NOT NULL,
          expires_at BIGINT NOT NULL,
          used_at BIGINT NULL
        )\(d.tableOptions)
        """,
        "CREATE INDEX ix_one_time_tokens_email ON one_time_tokens (purpose, email)",
        """
        CREATE TABLE departments (
          \(d.autoID),
          workspace_id BIGINT NOT NULL,
          name \(d.varchar(190)) NOT NULL,
          archived_at BIGINT NULL,
          created_at BIGINT NOT NULL
        )\(d.tableOptions)
        """,
        "CREATE UNIQUE INDEX ux_departments_name ON departments (workspace_id, name)",
        """
        CREATE TABLE user_departments (
          user_id BIGINT NOT NULL,
          department_id BIGINT NOT NULL,
          workspace_id BIGINT NOT NULL,
          PRIMARY KEY (user_id, department_id)
        )\(d.tableOptions)
        """,
        """
        CREATE TABLE api_keys (
          \(d.autoID),
          key_hash \(d.token(64)) NOT NULL,
          prefix \(d.token(16)) NOT NULL,
          name \(d.varchar(190)) NOT NULL,
          scopes \(d.text) NOT NULL,
          workspace_id BIGINT NULL,
          created_by BIGINT NOT NULL,
          created_at BIGINT NOT NULL,
          last_used_at BIGINT NULL,
          revoked_at BIGINT NULL
        )\(d.tableOptions)
        """,
        "CREATE UNIQUE INDEX ux_api_keys_hash ON api_keys (key_hash)",
        """
        CREATE TABLE rate_limits (
          bucket \(d.token(120)) NOT NULL,
          window_start BIGINT NOT NULL,
          hits INTEGER NOT NULL,
          PRIMARY KEY (bucket, window_start)
        )\(d.tableOptions)
        """,
        """
        CREATE TABLE settings (
          workspace_id BIGINT NOT NULL,
          name \(d.token(120)) NOT NULL,
          value \(d.text) NOT NULL,
          updated_by BIGINT NULL,
          updated_at BIGINT NOT NULL,
          PRIMARY KEY (workspace_id, name)
        )\(d.tableOptions)
        """,
        """
        CREATE TABLE audit_log (
          \(d.autoID),
          at BIGINT NOT NULL,
          actor_type \(d.token(16)) NOT NULL,
          actor_id BIGINT NULL,
          actor_label \(d.varchar(190)) NOT NULL,
          workspace_id BIGINT NULL,
          action \(d.token(120)) NOT NULL,
          target \(d.varchar(255)) NOT NULL,
          details \(d.text) NOT NULL,
          ip \(d.varchar(64)) NOT NULL
        )\(d.tableOptions)
        """,
        "CREATE INDEX ix_audit_log_ws ON audit_log (workspace_id, at)",
        """
        CREATE TABLE blocked_ips (
          \(d.autoID),
          cidr \(d.varchar(64)) NOT NULL,
          reason \(d.varchar(255)) NOT NULL,
          workspace_id BIGINT NULL,
          created_by BIGINT NULL,
          created_at BIGINT NOT NULL,
          expires_at BIGINT NULL
        )\(d.tableOptions)
        """,
    ]
}
