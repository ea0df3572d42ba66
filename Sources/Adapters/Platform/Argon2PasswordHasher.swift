import CArgon2
import Foundation
import Ports

/// argon2id through Debian's libargon2. The encoded hash (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`) carries its
/// parameters, so raising them later leaves old hashes verifiable.
public struct Argon2PasswordHasher: PasswordHasher {
    /// OWASP's argon2id minimum: 19 MiB, 2 iterations, 1 lane (about 25 ms a hash on this class of machine).
    public var memoryKiB: UInt32 = 19 * 1024
    public var iterations: UInt32 = 2
    public var parallelism: UInt32 = 1
    let random: any RandomSource

    public init(random: any RandomSource, memoryKiB: UInt32 = 19 * 1024, iterations: UInt32 = 2) {
        self.random = random; self.memoryKiB = memoryKiB; self.iterations = iterations
    }

    public func hash(_ password: String) throws -> String {
        let salt = random.bytes(16)
        let pwd = Array(password.utf8)
        let len = argon2_encodedlen(iterations, memoryKiB, parallelism, UInt32(salt.count), 32, Argon2_id)
        var out = [CChar](repeating: 0, count: len + 1)
        let rc = argon2id_hash_encoded(iterations, memoryKiB, parallelism, pwd, pwd.count, salt, salt.count, 32, &out, out.count)
        guard rc == ARGON2_OK.rawValue else {
            throw NSError(domain: "argon2", code: Int(rc), userInfo: [NSLocalizedDescriptionKey: String(cString: argon2_error_message(rc))])
        }
        return String(cString: out)
    }

    public func verify(_ password: String, against encoded: String) -> Bool {
        guard encoded.hasPrefix("$argon2id$") else { return false }
        let pwd = Array(password.utf8)
        return argon2id_verify(encoded, pwd, pwd.count) == ARGON2_OK.rawValue
    }
}
