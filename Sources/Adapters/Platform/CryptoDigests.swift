@preconcurrency import Crypto
import Foundation
import Ports

/// SHA-256 and HMACs through swift-crypto.
public struct CryptoDigests: Digests {
    public init() {}
    public func sha256Hex(_ text: String) -> String {
        Array(SHA256.hash(data: Data(text.utf8))).hexString
    }
    public func sha256Hex(bytes: [UInt8]) -> String {
        Array(SHA256.hash(data: bytes)).hexString
    }
    public func hmacSHA1(key: [UInt8], message: [UInt8]) -> [UInt8] {
        Array(HMAC<Insecure.SHA1>.authenticationCode(for: message, using: SymmetricKey(data: key)))
    }
    public func hmacSHA256(key: [UInt8], message: [UInt8]) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: key)))
    }
}
