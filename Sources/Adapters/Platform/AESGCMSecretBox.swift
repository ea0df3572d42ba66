@preconcurrency import Crypto
import Foundation
import Ports

public enum SecretBoxError: Error, CustomStringConvertible {
    case badKey(String)
    case malformed
    case unknownKeyVersion(String)
    case authenticationFailed

    public var description: String {
        switch self {
        case .badKey(let m): return "master key: \(m)"
        case .malformed: return "sealed secret is malformed"
        case .unknownKeyVersion(let v): return "sealed secret uses key \(v), which is not configured"
        case .authenticationFailed: return "sealed secret does not open with the master key (wrong key or tampered data)"
        }
    }
}

/// AES-256-GCM under the master key. Sealed form: `v1:<key id>:<base64 nonce|ciphertext|tag>`.
/// The key id is the first 8 hex chars of SHA-256(key), so a rotated key can open older secrets
/// while `opsiq-admin secrets rotate` re-seals them.
public struct AESGCMSecretBox: SecretBox, @unchecked Sendable {
    private let current: SymmetricKey
    private let currentID: String
    private let previous: [String: SymmetricKey]

    public init(masterKey: [UInt8], previousKeys: [[UInt8]] = []) throws {
        guard masterKey.count == 32 else { throw SecretBoxError.badKey("must be 32 bytes, got \(masterKey.count)") }
        current = SymmetricKey(data: masterKey)
        currentID = Self.keyID(masterKey)
        var prev: [String: SymmetricKey] = [:]
        for k in previousKeys where k.count == 32 { prev[Self.keyID(k)] = SymmetricKey(data: k) }
        previous = prev
    }

    static func keyID(_ key: [UInt8]) -> String {
        Array(SHA256.hash(data: key).prefix(4)).hexString
    }

    public func seal(_ plaintext: String) throws -> String {
        let box = try AES.GCM.seal(Data(plaintext.utf8), using: current)
        guard let combined = box.combined else { throw SecretBoxError.malformed }
        return "v1:\(currentID):\(combined.base64EncodedString())"
    }

    public func reseal(_ sealed: String) throws -> String? {
        let parts = sealed.split(separator: ":", maxSplits: 2).map(String.init)
        guard parts.count == 3 else { throw SecretBoxError.malformed }
        if parts[1] == currentID { return nil }
        return try seal(try open(sealed))
    }

    public func open(_ sealed: String) throws -> String {
        let parts = sealed.split(separator: ":", maxSplits: 2).map(String.init)
        guard parts.count == 3, parts[0] == "v1", let data = Data(base64Encoded: parts[2]) else { throw SecretBoxError.malformed }
        let key: SymmetricKey
        if parts[1] == currentID { key = current } else if let k = previous[parts[1]] { key = k } else { throw SecretBoxError.unknownKeyVersion(parts[1]) }
        do {
            let box = try AES.GCM.SealedBox(combined: data)
            return String(decoding: try AES.GCM.open(box, using: key), as: UTF8.self)
        } catch {
            throw SecretBoxError.authenticationFailed
        }
    }
}
