import Foundation

extension Settings {
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
