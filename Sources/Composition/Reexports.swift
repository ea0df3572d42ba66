import Adapters
public typealias Adapters_MigrationError = MigrationError
