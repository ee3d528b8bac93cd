import Foundation

extension Settings {
    /// A SQLite file whose folder is missing will not appear by waiting for it: refused at
    /// once, rather than retried for `DATABASE_CONNECT_TIMEOUT`.
    public func checkDatabaseFolder() throws(SettingsError) {
        guard case .sqlite(let path) = database else { return }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw SettingsError(
                variable: "DATABASE_URL",
                message: "the folder of the SQLite file, '\(folder)', does not exist (sqlite:///relative/path.db, sqlite:////absolute/path.db)")
        }
    }

    /// Creates `UPLOAD_DIR` when it is missing and proves it writable, so that a bad
    /// directory stops the service at start-up rather than failing the first upload.
    public func prepareUploadDirectory() throws(SettingsError) {
        do {
            try FileManager.default.createDirectory(atPath: uploadDirectory, withIntermediateDirectories: true)
        } catch {
            throw SettingsError(variable: "UPLOAD_DIR", message: "'\(uploadDirectory)' cannot be created (a file in the way, or no permission)")
        }
        let probe = URL(fileURLWithPath: uploadDirectory, isDirectory: true).appendingPathComponent(".write-check-\(UUID().uuidString)").path
        let descriptor = open(probe, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else {
            throw SettingsError(variable: "UPLOAD_DIR", message: "'\(uploadDirectory)' is not writable (\(String(cString: strerror(errno))))")
        }
        close(descriptor)
        unlink(probe)
    }
}
