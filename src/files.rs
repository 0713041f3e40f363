//! Writing output files without damage: a regular file is replaced atomically with its mode and owner kept, a symlink's target is replaced (never the link), and devices, FIFOs and `/dev/stdout`-like paths are written through; imports nothing of denet.

use std::fs::{self, Metadata, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;

/// The longest file name (one path component) Linux file systems take, in bytes.
const NAME_MAX: usize = 255;

/// How a path is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// Written through, once: a device, a FIFO, a socket, or a descriptor path such as /dev/stdout.
    Stream,
    /// Replaced atomically: this regular file (a symlink's final target), which may not exist yet.
    Regular(PathBuf),
}

/// What `path` is, following symlinks.
pub fn kind(path: &Path) -> anyhow::Result<Kind> {
    if is_descriptor_path(path) {
        return Ok(Kind::Stream);
    }
    match fs::metadata(path) {
        Ok(m) if m.is_dir() => anyhow::bail!("{} is a directory", path.display()),
        Ok(m) if !m.is_file() => Ok(Kind::Stream),
        Ok(_) => {
            Ok(Kind::Regular(fs::canonicalize(path).with_context(|| format!("cannot resolve {}", path.display()))?))
        }
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(Kind::Regular(final_target(path)?)),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// /dev/stdout, /dev/fd/N, /proc/self/fd/N: an open descriptor of denet's, whatever it points to
/// (a terminal, a pipe, or the file a shell redirected to: renaming over that file would hide the
/// output from the shell's descriptor).
fn is_descriptor_path(path: &Path) -> bool {
    let p = path.to_string_lossy();
    ["/dev/stdout", "/dev/stderr", "/dev/stdin"].contains(&p.as_ref())
        || p.starts_with("/dev/fd/")
        || p.starts_with("/proc/self/fd/")
}

/// Where writing `path` lands, to tell two outputs to one place apart: `-` for stdout (`-` and
/// /dev/stdout, /dev/fd/1, /proc/self/fd/1), else the path with its links and its folder resolved.
pub fn identity(path: &str) -> PathBuf {
    if ["-", "/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"].contains(&path) {
        return PathBuf::from("-");
    }
    let path = Path::new(path);
    let target = match kind(path) {
        Ok(Kind::Regular(t)) => t,
        _ => path.to_path_buf(),
    };
    // A file not created yet: its folder resolved, so that `a.json` and `./a.json` are one place.
    let dir = target.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    match (fs::canonicalize(dir), target.file_name()) {
        (Ok(d), Some(name)) => d.join(name),
        _ => target,
    }
}

/// Whether denet may write `path`, checked without writing it (a FIFO is not opened: that would block
/// until a reader comes, and end the reader's input when closed). Err holds the reason.
pub fn check_writable(path: &Path) -> Result<(), String> {
    if path.as_os_str().is_empty() {
        return Err("an empty path: name a file, or '-' for stdout".into());
    }
    // The rename at the end would fail after the whole benchmark: refuse what no file system takes.
    if let Some(long) = path.iter().find(|c| c.len() > NAME_MAX) {
        return Err(format!("a file name of {} bytes: the limit is {NAME_MAX}", long.len()));
    }
    match kind(path).map_err(|e| format!("{e:#}"))? {
        Kind::Stream => may_write(path),
        Kind::Regular(target) => {
            let dir = match target.parent() {
                Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
                _ => PathBuf::from("."),
            };
            tempfile::NamedTempFile::new_in(&dir).map_err(|e| format!("cannot write in {}: {e}", dir.display()))?;
            if target.exists() {
                may_write(&target)?;
            }
            Ok(())
        }
    }
}

#[cfg(unix)]
fn may_write(path: &Path) -> Result<(), String> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).map_err(|_| "a NUL byte in the path".to_string())?;
    // SAFETY: a valid C string; access(2) only reads it.
    if unsafe { libc::access(c.as_ptr(), libc::W_OK) } == 0 {
        Ok(())
    } else {
        Err(format!("cannot write it: {}", std::io::Error::last_os_error()))
    }
}

#[cfg(not(unix))]
fn may_write(path: &Path) -> Result<(), String> {
    match fs::metadata(path) {
        Ok(m) if m.permissions().readonly() => Err("cannot write it: read-only".into()),
        _ => Ok(()),
    }
}

/// Where a path that does not exist yet will be: the final target of a dangling symlink chain, or the path.
fn final_target(path: &Path) -> anyhow::Result<PathBuf> {
    let mut current = path.to_path_buf();
    for _ in 0..40 {
        match fs::symlink_metadata(&current) {
            Ok(m) if m.file_type().is_symlink() => {
                let link =
                    fs::read_link(&current).with_context(|| format!("cannot read the link {}", current.display()))?;
                current = current.parent().unwrap_or(Path::new("")).join(link);
            }
            _ => return Ok(current),
        }
    }
    anyhow::bail!("{}: too many levels of symbolic links", path.display())
}

/// Write `bytes` to `path` as `kind` says: through a stream, or by an atomic replace of the regular file.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let context = || format!("cannot write the export file {}", path.display());
    match kind(path).with_context(context)? {
        Kind::Stream => write_through(path, bytes).with_context(context),
        Kind::Regular(target) => replace(&target, bytes).with_context(context),
    }
}

fn write_through(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut f = OpenOptions::new().write(true).open(path)?;
    f.write_all(bytes)?;
    f.flush()
}

/// A temporary file beside `target`, renamed over it: readers never see half a file. An existing
/// file keeps its mode and (when denet may set it) its owner; a new one gets the umask's mode.
fn replace(target: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let existing = fs::metadata(target).ok();
    let mut tmp = tempfile::Builder::new().prefix(".denet-").tempfile_in(dir)?;
    keep_mode_and_owner(tmp.as_file(), existing.as_ref())?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(target).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(unix)]
fn keep_mode_and_owner(file: &fs::File, existing: Option<&Metadata>) -> std::io::Result<()> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let mode = existing.map_or_else(|| 0o666 & !umask(), |m| m.mode() & 0o7777);
    file.set_permissions(fs::Permissions::from_mode(mode))?;
    if let Some(m) = existing {
        // Only root may give a file away; for others the owner is already theirs or cannot be kept.
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } == 0 {
            std::os::unix::fs::fchown(file, Some(m.uid()), Some(m.gid()))?;
        }
    }
    Ok(())
}

#[cfg(not(unix))]
fn keep_mode_and_owner(file: &fs::File, existing: Option<&Metadata>) -> std::io::Result<()> {
    if let Some(m) = existing {
        file.set_permissions(m.permissions())?;
    }
    Ok(())
}

/// The process's umask, read without changing it (`umask(2)` would, for every thread at once).
#[cfg(unix)]
fn umask() -> u32 {
    fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find_map(|l| l.strip_prefix("Umask:").map(|v| v.trim().to_string())))
        .and_then(|v| u32::from_str_radix(&v, 8).ok())
        .unwrap_or(0o022)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptor_paths_are_streams() {
        for p in ["/dev/stdout", "/dev/fd/1", "/proc/self/fd/2"] {
            assert_eq!(kind(Path::new(p)).unwrap(), Kind::Stream, "{p}");
        }
        assert_eq!(kind(Path::new("/dev/null")).unwrap(), Kind::Stream);
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_keeps_its_link_and_its_target_its_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target.json");
        fs::write(&target, "old").unwrap();
        fs::set_permissions(&target, fs::Permissions::from_mode(0o600)).unwrap();
        let link = dir.path().join("link.json");
        std::os::unix::fs::symlink("target.json", &link).unwrap();
        write_atomically(&link, b"new").unwrap();
        assert!(fs::symlink_metadata(&link).unwrap().file_type().is_symlink(), "the link stays a link");
        assert_eq!(fs::read_to_string(&target).unwrap(), "new");
        assert_eq!(fs::metadata(&target).unwrap().permissions().mode() & 0o777, 0o600);
    }

    #[cfg(unix)]
    #[test]
    fn a_dangling_symlink_creates_its_target() {
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join("link.json");
        std::os::unix::fs::symlink("made.json", &link).unwrap();
        write_atomically(&link, b"x").unwrap();
        assert_eq!(fs::read_to_string(dir.path().join("made.json")).unwrap(), "x");
        assert!(fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    }
}
