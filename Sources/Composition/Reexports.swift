import Adapters
public typealias Adapters_MigrationError = MigrationError
public typealias Adapters_SystemRandom = SystemRandom
public typealias Adapters_SecretRotation = SecretRotation
public typealias Adapters_FileSpool = FileSpool
