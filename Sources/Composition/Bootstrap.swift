import Foundation
import Logging

public enum Bootstrap {
    /// Sets up swift-log once per process (stderr, the configured level) and returns the root logger.
    public static func logging(config: AppConfig, label: String) -> Logger {
        let level = config.logLevel
        LoggingSystem.bootstrap { label in
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = level
            return h
        }
        var logger = Logger(label: label)
        logger.logLevel = level
        return logger
    }
}
