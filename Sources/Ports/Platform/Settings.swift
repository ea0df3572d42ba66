import Foundation

/// Stored setting values (JSON text) by name; workspace 0 holds the installation-wide defaults.
public protocol SettingsStore: Sendable {
    func values(workspace: Int64) async throws -> [String: String]
    func set(workspace: Int64, name: String, value: String?, by: UserID?, now: Date, in tx: any SQLConnection) async throws
}
