//! Installing a certificate as files, like the SSH target does over SFTP: every file is written
//! under a temporary name and renamed into place, the previous files are kept as `.bak`
//! copies, the reload command runs, and the served certificate is checked. When the reload or
//! the check fails the previous files are put back and the service reloaded again, so the server
//! keeps a working certificate.

use std::path::{Path, PathBuf};

use certdesk_base::agent_api::{InstallBundle, Installed};
use certdesk_base::deploy::{served::await_serial, FileSpec, BACKUP_EXTENSION, STAGED_EXTENSION};
use certdesk_base::{shell, Error, Result};
use zeroize::Zeroizing;

use super::Installer;
use crate::config::Config;

pub struct Files {
    files: Vec<FileSpec>,
    reload_command: Option<String>,
    check: Option<String>,
}

impl Files {
    pub fn new(config: &Config) -> Self {
        Self {
            files: config.files.clone(),
            reload_command: config.reload_command.clone(),
            check: config.check.clone(),
        }
    }
}

/// One file being replaced: where it goes and whether there was one before.
struct Slot {
    path: PathBuf,
    had_previous: bool,
}

#[async_trait::async_trait]
impl Installer for Files {
    fn describe(&self) -> String {
        if self.files.is_empty() {
            return "no files configured (set files in the agent's configuration)".into();
        }
        let paths: Vec<&str> = self.files.iter().map(|f| f.path.as_str()).collect();
        match &self.reload_command {
            Some(cmd) => format!("{}, then `{cmd}`", paths.join(", ")),
            None => paths.join(", "),
        }
    }

    async fn install(&self, bundle: &InstallBundle) -> Result<Installed> {
        let bundle = bundle.clone().into_bundle()?;
        if self.files.is_empty() {
            return Err(Error::input(
                "this agent has no files to install a certificate as: list them under files in \
                 its configuration (as in an SSH mapping) and restart it",
            ));
        }
        // Render everything first: a bad bundle must not touch the server.
        let rendered: Vec<(FileSpec, Zeroizing<Vec<u8>>)> = self
            .files
            .iter()
            .map(|f| Ok((f.clone(), bundle.render(f.format)?)))
            .collect::<Result<_>>()?;
        let mut changes = Vec::new();
        let mut slots = Vec::new();
        for (spec, bytes) in &rendered {
            let path = PathBuf::from(&spec.path);
            let staged = sibling(&path, STAGED_EXTENSION);
            write_staged(&staged, bytes, spec.mode_bits()?)?;
            if let Some(owner) = &spec.owner {
                let mut chown = tokio::process::Command::new("chown");
                chown.arg(owner).arg(&staged);
                if let Err(e) = run(chown, &format!("chown {owner} {}", staged.display())).await {
                    let _ = std::fs::remove_file(&staged);
                    return Err(e);
                }
            }
            slots.push((
                Slot {
                    had_previous: path.exists(),
                    path,
                },
                staged,
            ));
        }
        for (slot, _) in &slots {
            if slot.had_previous {
                let backup = sibling(&slot.path, BACKUP_EXTENSION);
                copy_exact(&slot.path, &backup)?;
            }
        }
        let mut placed = Vec::new();
        let mut slots = slots.into_iter();
        while let Some((slot, staged)) = slots.next() {
            if let Err(e) = std::fs::rename(&staged, &slot.path) {
                // This file and the ones after it are unchanged; the ones before it go back.
                let failed = Error::file(&slot.path, e);
                for (_, staged) in std::iter::once((slot, staged)).chain(slots) {
                    let _ = std::fs::remove_file(staged);
                }
                return Err(self.restore(&placed, failed).await);
            }
            changes.push(format!("wrote {}", slot.path.display()));
            placed.push(slot);
        }
        let reload = match &self.reload_command {
            Some(cmd) => match run(shell::command(cmd, &[]), cmd).await {
                Ok(out) => Some(out),
                Err(e) => return Err(self.restore(&placed, e).await),
            },
            None => None,
        };
        let served = match (&self.check, bundle.names.first()) {
            (Some(address), Some(name)) => {
                match await_serial(address, name, &bundle.serial).await {
                    Ok(()) => Some(bundle.serial.clone()),
                    Err(e) => return Err(self.restore(&placed, e).await),
                }
            }
            _ => None,
        };
        Ok(Installed {
            changes,
            reload,
            served_serial: served,
        })
    }
}

impl Files {
    /// Puts the previous files back (removes files that did not exist before), reloads again and
    /// returns `cause` saying so.
    async fn restore(&self, placed: &[Slot], cause: Error) -> Error {
        let mut problems = Vec::new();
        for slot in placed {
            let outcome = if slot.had_previous {
                let backup = sibling(&slot.path, BACKUP_EXTENSION);
                let staged = sibling(&slot.path, STAGED_EXTENSION);
                copy_exact(&backup, &staged).and_then(|()| {
                    std::fs::rename(&staged, &slot.path).map_err(|e| Error::file(&slot.path, e))
                })
            } else {
                std::fs::remove_file(&slot.path).map_err(|e| Error::file(&slot.path, e))
            };
            if let Err(e) = outcome {
                problems.push(e.to_string());
            }
        }
        if !problems.is_empty() {
            return Error::Deploy(format!(
                "{cause}; putting the previous files back failed: {} — restore them from the \
                 .bak files and check the server now",
                problems.join("; ")
            ));
        }
        let reloaded = match &self.reload_command {
            Some(cmd) => run(shell::command(cmd, &[]), cmd).await.map(drop),
            None => Ok(()),
        };
        match reloaded {
            Ok(()) => Error::Deploy(format!(
                "{cause}; the previous certificate files were put back and the service reloaded"
            )),
            Err(e) => Error::Deploy(format!(
                "{cause}; the previous certificate files were put back, but reloading with them \
                 failed too ({e}) — check the server now"
            )),
        }
    }
}

/// `path` with `.suffix` appended to its file name, in the same folder (so a rename is atomic).
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".");
    name.push(suffix);
    path.with_file_name(name)
}

/// Writes a fresh file with `mode` from the start, so a key is never readable by others.
fn write_staged(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    use std::io::Write;
    let failed = |e| Error::file(path, e);
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(failed(e)),
        _ => {}
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(mode);
        let mut file = options.open(path).map_err(failed)?;
        // The umask may have narrowed the mode: set it exactly.
        file.set_permissions(std::fs::Permissions::from_mode(mode))
            .map_err(failed)?;
        file.write_all(bytes).map_err(failed)?;
        file.sync_all().map_err(failed)
    }
    #[cfg(not(unix))]
    {
        let _ = mode;
        let mut file = options.open(path).map_err(failed)?;
        file.write_all(bytes).map_err(failed)?;
        file.sync_all().map_err(failed)
    }
}

/// Copies `from` to `to` with its permissions and owner, replacing `to`.
fn copy_exact(from: &Path, to: &Path) -> Result<()> {
    std::fs::copy(from, to).map_err(|e| Error::file(to, e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let meta = std::fs::metadata(from).map_err(|e| Error::file(from, e))?;
        std::fs::set_permissions(to, meta.permissions()).map_err(|e| Error::file(to, e))?;
        // Only root may give a file away; as another user the copy is already ours.
        let _ = std::os::unix::fs::chown(to, Some(meta.uid()), Some(meta.gid()));
    }
    Ok(())
}

/// Runs `program` (shown as `command`); its output, or an error with it.
async fn run(mut program: tokio::process::Command, command: &str) -> Result<String> {
    let output = program
        .output()
        .await
        .map_err(|e| Error::Deploy(format!("cannot run `{command}`: {e}")))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
    .trim()
    .to_owned();
    if output.status.success() {
        Ok(text)
    } else {
        Err(Error::Deploy(format!(
            "`{command}` failed ({}){}",
            output.status,
            if text.is_empty() {
                String::new()
            } else {
                format!(": {text}")
            }
        )))
    }
}
