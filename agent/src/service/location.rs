//! Where a service that runs as root may take its program and configuration from: only places
//! root alone can change. A binary or configuration another user can replace (a home folder,
//! Downloads, anything under a world-writable folder) would run that user's code as root.

use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use certdesk_base::{Error, Result};

/// Group or others may write.
const SHARED_WRITE: u32 = 0o022;

/// Refuses `path` unless it and every folder above it belong to root and only root can write
/// them, checked both as written (a link's own folder) and with links resolved (where it leads).
pub fn check_root_only(path: &Path, what: &str) -> Result<()> {
    let absolute = std::path::absolute(path).map_err(|e| Error::file(path, e))?;
    let resolved = std::fs::canonicalize(&absolute).map_err(|e| Error::file(&absolute, e))?;
    for chain in [&absolute, &resolved] {
        for step in chain.ancestors() {
            let meta = std::fs::symlink_metadata(step).map_err(|e| Error::file(step, e))?;
            // A link's own mode means nothing; who may replace it is its folder's business.
            let writable = !meta.file_type().is_symlink() && meta.mode() & SHARED_WRITE != 0;
            if meta.uid() != 0 || writable {
                return Err(Error::input(format!(
                    "{what} {} is not safe to run as root: {} belongs to user id {} with mode \
                     {:04o}, so someone other than root can change what runs there; keep it in \
                     a folder only root can write (owner root, not group or world writable)",
                    path.display(),
                    step.display(),
                    meta.uid(),
                    meta.mode() & 0o7777
                )));
            }
        }
    }
    Ok(())
}

/// Copies the running program to `dir/name` (mode 0755, owner root), making `dir` (0755) if it
/// is missing; `dir`'s parent must already be root's alone. Returns where it went.
pub fn place_binary(exe: &Path, dir: &Path, name: &str) -> Result<PathBuf> {
    let parent = dir.parent().unwrap_or(dir);
    check_root_only(parent, "the folder")?;
    if !dir.exists() {
        std::fs::DirBuilder::new()
            .mode(0o755)
            .create(dir)
            .map_err(|e| Error::file(dir, e))?;
        // Made here, so its mode is ours to set (the umask may have narrowed it).
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755))
            .map_err(|e| Error::file(dir, e))?;
    }
    check_root_only(dir, "the folder")?;
    let target = dir.join(name);
    let same = std::fs::canonicalize(exe)
        .ok()
        .is_some_and(|e| std::fs::canonicalize(&target).is_ok_and(|t| t == e));
    if !same {
        let staged = dir.join(format!(".{name}.new"));
        let copied = copy_new(exe, &staged)
            .and_then(|()| std::fs::rename(&staged, &target).map_err(|e| Error::file(&target, e)));
        if let Err(e) = copied {
            let _ = std::fs::remove_file(&staged);
            return Err(e);
        }
    }
    check_root_only(&target, "the installed agent")?;
    Ok(target)
}

/// Writes a copy of `from` as the new file `to`, 0755 from the start (`create_new` refuses a
/// link planted there).
fn copy_new(from: &Path, to: &Path) -> Result<()> {
    let _ = std::fs::remove_file(to);
    let mut source = std::fs::File::open(from).map_err(|e| Error::file(from, e))?;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o755)
        .open(to)
        .map_err(|e| Error::file(to, e))?;
    std::io::copy(&mut source, &mut file).map_err(|e| Error::file(to, e))?;
    file.set_permissions(std::fs::Permissions::from_mode(0o755))
        .and_then(|()| file.sync_all())
        .map_err(|e| Error::file(to, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(what: &str) -> PathBuf {
        // Below /var/lib, which only root can write up to `/` (the build folder may lie below
        // /tmp, a clone there, whose mode 1777 the check rightly refuses).
        let dir = Path::new("/var/lib")
            .join("certdesk-test-location")
            .join(format!("{what}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_folder_others_can_write_is_refused() {
        let e = check_root_only(&std::env::temp_dir(), "the folder")
            .unwrap_err()
            .to_string();
        assert!(e.contains("mode 1777") && e.contains("not safe"), "{e}");
        let dir = scratch("group");
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o775)).unwrap();
        assert!(check_root_only(&dir, "the folder").is_err());
        std::fs::remove_dir_all(dir).unwrap();
    }

    /// Run as root (as the end-to-end tests are): a folder handed to another user is refused,
    /// the same folder back with root is taken, and the binary is copied 0755 into it.
    #[test]
    fn the_binary_goes_only_into_a_folder_only_root_can_write() {
        if !rustix::process::geteuid().is_root() {
            eprintln!("skipped: needs root to give a folder away");
            return;
        }
        let dir = scratch("place");
        let exe = std::env::current_exe().unwrap();
        let home = dir.join("home");
        std::fs::create_dir(&home).unwrap();
        std::os::unix::fs::chown(&home, Some(65534), Some(65534)).unwrap();
        let e = place_binary(&exe, &home.join("lib"), "certdesk-agent")
            .unwrap_err()
            .to_string();
        assert!(e.contains("user id 65534"), "{e}");
        assert!(
            !home.join("lib").exists(),
            "nothing made in a refused folder"
        );

        std::os::unix::fs::chown(&home, Some(0), Some(0)).unwrap();
        let placed = place_binary(&exe, &home.join("lib"), "certdesk-agent").unwrap();
        assert_eq!(
            std::fs::read(&placed).unwrap(),
            std::fs::read(&exe).unwrap()
        );
        let meta = std::fs::metadata(&placed).unwrap();
        assert_eq!((meta.mode() & 0o7777, meta.uid()), (0o755, 0));
        // Again from the installed copy: nothing to copy, still checked.
        assert_eq!(
            place_binary(&placed, &home.join("lib"), "certdesk-agent").unwrap(),
            placed
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}
