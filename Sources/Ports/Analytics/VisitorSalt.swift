import Foundation

/// One random salt per UTC day for the cookieless visitor hash. Every web process must use the same
/// salt on the same day, and a day's salt is deleted soon after, so yesterday's hashes cannot be
/// recomputed or linked to today's.
public protocol VisitorSaltStore: Sendable {
    /// The salt of `day` (whole days since 1970-01-01 UTC): 64 lowercase hex characters (32 random bytes).
    /// Created if the day has none yet; concurrent callers, in any process, all get the same salt.
    func salt(for day: Int) async throws -> String
    /// Deletes the salts of days before `day`; returns how many went.
    @discardableResult
    func deleteSalts(before day: Int) async throws -> Int
    /// The days that have a salt, oldest first (for housekeeping checks and tests).
    func days() async throws -> [Int]
}
