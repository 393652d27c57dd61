//! http-01 token files under a web server's web root, written by an agent that runs as root
//! into folders the web server's users may write too.
//!
//! A user who can write the web root could point `.well-known/acme-challenge`, or a token's
//! name, at a file elsewhere; following that link as root would overwrite, delete or chmod the
//! file. So nothing below the configured root is opened by path: each folder is opened relative
//! to its parent's handle with `O_NOFOLLOW | O_DIRECTORY`, must be owned by root or the agent's
//! own user, and the token file is opened the same way and checked to be a plain file with one
//! link before anything is written. Missing folders are made here, 0755, and only those get
//! their mode set.

use std::io::Write;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

use certdesk_base::{Error, Result};
use rustix::fs::{AtFlags, FileType, Mode, OFlags, Stat};
use rustix::io::Errno;

/// The folders below the web root, outermost first.
const CHALLENGE_PATH: [&str; 2] = [".well-known", "acme-challenge"];

/// The web server reads token files and folders as another user.
const PUBLIC_FILE: u32 = 0o644;
const PUBLIC_DIR: u32 = 0o755;

pub struct Webroot {
    root: PathBuf,
}

/// Whether a missing challenge folder is made (to write a token) or means there is nothing to
/// do (to remove one).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Missing {
    Create,
    Nothing,
}

impl Webroot {
    pub fn new(root: PathBuf) -> Self {
        Self { root }
    }

    /// `ROOT/.well-known/acme-challenge`, for messages.
    pub fn challenge_dir(&self) -> PathBuf {
        CHALLENGE_PATH
            .iter()
            .fold(self.root.clone(), |path, name| path.join(name))
    }

    /// Writes `bytes` as the token file `name` (a checked ACME token), replacing an earlier one
    /// the agent wrote.
    pub fn put(&self, name: &str, bytes: &[u8]) -> Result<()> {
        let dir = self
            .open_challenge_dir(Missing::Create)?
            .ok_or_else(|| Error::input("the challenge folder could not be made"))?;
        let path = self.challenge_dir().join(name);
        let flags = OFlags::WRONLY
            | OFlags::CREATE
            | OFlags::NOFOLLOW
            // A FIFO planted under the token's name must not block the agent.
            | OFlags::NONBLOCK
            | OFlags::CLOEXEC;
        let fd = rustix::fs::openat(&dir, name, flags, Mode::from_raw_mode(PUBLIC_FILE)).map_err(
            |e| match e {
                Errno::LOOP => link_refused(&path),
                e => Error::file(&path, e.into()),
            },
        )?;
        let stat = rustix::fs::fstat(&fd).map_err(|e| Error::file(&path, e.into()))?;
        check_token_file(&path, &stat)?;
        let failed = |e: Errno| Error::file(&path, e.into());
        // Truncated only now, once it is known to be the agent's own file.
        rustix::fs::ftruncate(&fd, 0).map_err(failed)?;
        rustix::fs::fchmod(&fd, Mode::from_raw_mode(PUBLIC_FILE)).map_err(failed)?;
        let mut file = std::fs::File::from(fd);
        file.write_all(bytes)
            .and_then(|()| file.sync_all())
            .map_err(|e| Error::file(&path, e))
    }

    /// Removes the token file `name`; one already gone (or a challenge folder never made) is
    /// fine.
    pub fn delete(&self, name: &str) -> Result<()> {
        let Some(dir) = self.open_challenge_dir(Missing::Nothing)? else {
            return Ok(());
        };
        let path = self.challenge_dir().join(name);
        match rustix::fs::statat(&dir, name, AtFlags::SYMLINK_NOFOLLOW) {
            Err(Errno::NOENT) => return Ok(()),
            Err(e) => return Err(Error::file(&path, e.into())),
            Ok(stat) => check_token_file(&path, &stat)?,
        }
        match rustix::fs::unlinkat(&dir, name, AtFlags::empty()) {
            Ok(()) | Err(Errno::NOENT) => Ok(()),
            Err(e) => Err(Error::file(&path, e.into())),
        }
    }

    /// A handle on the challenge folder, each step opened below the last without following a
    /// link; `None` when it is missing and `missing` says not to make it.
    fn open_challenge_dir(&self, missing: Missing) -> Result<Option<OwnedFd>> {
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
        let mut dir = rustix::fs::open(&self.root, flags, Mode::empty()).map_err(|e| {
            Error::input(format!(
                "cannot open the web root {} ({}): check webroot in the agent's configuration",
                self.root.display(),
                std::io::Error::from(e)
            ))
        })?;
        let mut path = self.root.clone();
        for name in CHALLENGE_PATH {
            path.push(name);
            match open_child(&dir, name, &path, missing)? {
                Some(child) => dir = child,
                None => return Ok(None),
            }
        }
        Ok(Some(dir))
    }
}

/// Opens the folder `name` below `parent` (shown as `path`), made 0755 if missing and `missing`
/// says so.
fn open_child(
    parent: &OwnedFd,
    name: &str,
    path: &Path,
    missing: Missing,
) -> Result<Option<OwnedFd>> {
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let open = || rustix::fs::openat(parent, name, flags, Mode::empty());
    // With O_DIRECTORY Linux answers a link with ENOTDIR, not ELOOP: look at the entry itself.
    let refused = |e: Errno| match e {
        Errno::LOOP | Errno::NOTDIR => {
            let link = rustix::fs::statat(parent, name, AtFlags::SYMLINK_NOFOLLOW)
                .is_ok_and(|stat| FileType::from_raw_mode(stat.st_mode) == FileType::Symlink);
            if link {
                link_refused(path)
            } else {
                Error::input(format!(
                    "{} is not a folder: the agent writes http-01 tokens only into a real \
                     folder there; remove it, or answer http-01 with http_listen instead",
                    path.display()
                ))
            }
        }
        e => Error::file(path, e.into()),
    };
    let (dir, made) = match open() {
        Ok(dir) => (dir, false),
        Err(Errno::NOENT) if missing == Missing::Nothing => return Ok(None),
        Err(Errno::NOENT) => {
            let made = match rustix::fs::mkdirat(parent, name, Mode::from_raw_mode(PUBLIC_DIR)) {
                Ok(()) => true,
                Err(Errno::EXIST) => false,
                Err(e) => return Err(Error::file(path, e.into())),
            };
            (open().map_err(refused)?, made)
        }
        Err(e) => return Err(refused(e)),
    };
    let stat = rustix::fs::fstat(&dir).map_err(|e| Error::file(path, e.into()))?;
    if !owned_by_us(&stat) {
        return Err(Error::input(format!(
            "{} belongs to user id {}, not to root or the agent's user: the agent does not \
             write http-01 tokens where another user can swap them; make root its owner \
             (chown root:root), or answer http-01 with http_listen instead",
            path.display(),
            stat.st_uid
        )));
    }
    if made {
        // Made here, so its mode is the agent's to set (the umask may have narrowed it).
        rustix::fs::fchmod(&dir, Mode::from_raw_mode(PUBLIC_DIR))
            .map_err(|e| Error::file(path, e.into()))?;
    }
    Ok(Some(dir))
}

fn owned_by_us(stat: &Stat) -> bool {
    stat.st_uid == 0 || stat.st_uid == rustix::process::geteuid().as_raw()
}

/// A token's name may hold only a plain file with one link, owned by root or the agent: anything
/// else was put there by someone else.
fn check_token_file(path: &Path, stat: &Stat) -> Result<()> {
    let kind = FileType::from_raw_mode(stat.st_mode);
    if kind == FileType::Symlink {
        return Err(link_refused(path));
    }
    if kind != FileType::RegularFile || stat.st_nlink != 1 || !owned_by_us(stat) {
        return Err(Error::input(format!(
            "{} is not a token file the agent wrote (a {}, {} link(s), user id {}): it is left \
             as it is; remove it if it should not be there",
            path.display(),
            kind_name(kind),
            stat.st_nlink,
            stat.st_uid
        )));
    }
    Ok(())
}

fn kind_name(kind: FileType) -> &'static str {
    match kind {
        FileType::RegularFile => "file",
        FileType::Directory => "folder",
        FileType::Symlink => "link",
        FileType::Fifo => "FIFO",
        FileType::Socket => "socket",
        FileType::CharacterDevice | FileType::BlockDevice => "device",
        FileType::Unknown => "special file",
    }
}

fn link_refused(path: &Path) -> Error {
    Error::input(format!(
        "{} is a symbolic link: the agent, running as root, does not follow links in a web \
         root (a web user could point one at any file); replace it with a real folder owned by \
         root, or answer http-01 with http_listen instead",
        path.display()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::{symlink, PermissionsExt};

    fn mode(path: &Path) -> u32 {
        std::fs::symlink_metadata(path)
            .unwrap()
            .permissions()
            .mode()
            & 0o7777
    }

    #[test]
    fn tokens_are_written_and_removed_in_folders_it_made() {
        let root = tempfile_dir("made");
        let web = Webroot::new(root.clone());
        web.put("abc_-1", b"abc_-1.thumb").unwrap();
        let file = root.join(".well-known/acme-challenge/abc_-1");
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "abc_-1.thumb");
        assert_eq!(mode(&file), 0o644);
        assert_eq!(mode(&root.join(".well-known")), 0o755);
        web.put("abc_-1", b"abc_-1.t").unwrap();
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "abc_-1.t");
        web.delete("abc_-1").unwrap();
        web.delete("abc_-1").unwrap();
        assert!(!file.exists());
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn an_existing_folder_keeps_its_mode() {
        let root = tempfile_dir("kept");
        let dir = root.join(".well-known/acme-challenge");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o750)).unwrap();
        Webroot::new(root.clone()).put("tok", b"tok.x").unwrap();
        assert_eq!(mode(&dir), 0o750);
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn links_and_hard_links_are_refused_and_their_targets_kept() {
        let root = tempfile_dir("links");
        let victim = root.join("victim");
        std::fs::write(&victim, "victim").unwrap();
        std::fs::set_permissions(&victim, std::fs::Permissions::from_mode(0o600)).unwrap();
        let dir = root.join("www/.well-known/acme-challenge");
        std::fs::create_dir_all(&dir).unwrap();
        let web = Webroot::new(root.join("www"));
        symlink(&victim, dir.join("sym")).unwrap();
        std::fs::hard_link(&victim, dir.join("hard")).unwrap();
        for name in ["sym", "hard"] {
            let put = web.put(name, b"x").unwrap_err().to_string();
            assert!(put.contains(name), "{put}");
            let delete = web.delete(name).unwrap_err().to_string();
            assert!(delete.contains(name), "{delete}");
        }
        assert!(web
            .put("sym", b"x")
            .unwrap_err()
            .to_string()
            .contains("symbolic link"));
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "victim");
        assert_eq!(mode(&victim), 0o600);
        std::fs::remove_dir_all(root).unwrap();
    }

    /// Needs root, as the agent runs, to hand the folder to another user.
    #[test]
    fn a_challenge_folder_another_user_owns_is_refused() {
        if !rustix::process::geteuid().is_root() {
            eprintln!("skipped: needs root to give a folder away");
            return;
        }
        let root = tempfile_dir("owner");
        let dir = root.join(".well-known");
        std::fs::create_dir(&dir).unwrap();
        std::os::unix::fs::chown(&dir, Some(65534), Some(65534)).unwrap();
        let e = Webroot::new(root.clone())
            .put("tok", b"tok.x")
            .unwrap_err()
            .to_string();
        assert!(e.contains("belongs to user id 65534"), "{e}");
        assert!(!dir.join("acme-challenge").exists(), "nothing made inside");
        std::fs::remove_dir_all(root).unwrap();
    }

    fn tempfile_dir(what: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "certdesk-agent-webroot-{what}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}
