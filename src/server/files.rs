//! The data directory: private to the server's user. The directory is 0700 and every file the
//! server writes there (SQLite and its WAL/SHM, the master key, the simulated clusters' state,
//! token and kubeconfig) is 0600.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// Makes every file this process creates from now on private to its user (umask 077): the
/// SQLite driver, for one, creates its WAL and SHM files with the umask's mode.
pub fn private_by_default() {
    // SAFETY: umask only sets the process's file mode creation mask; it cannot fail.
    unsafe {
        libc::umask(0o077);
    }
}

/// Creates the data directory if missing and makes it 0700.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
}

/// Takes group and other permissions away from everything under `dir` (files left by an
/// earlier version, or created under a looser umask), and names what it changed.
pub fn tighten(dir: &Path) -> std::io::Result<Vec<String>> {
    let mut changed = Vec::new();
    tighten_into(dir, &mut changed, 0)?;
    Ok(changed)
}

fn tighten_into(dir: &Path, changed: &mut Vec<String>, depth: usize) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let metadata = entry.metadata()?;
        if metadata.file_type().is_symlink() {
            continue;
        }
        let mode = metadata.permissions().mode();
        if mode & 0o077 != 0 {
            let private = if metadata.is_dir() { 0o700 } else { 0o600 };
            std::fs::set_permissions(entry.path(), std::fs::Permissions::from_mode(private))?;
            changed.push(entry.path().display().to_string());
        }
        // The simulated clusters' directory is the only one the server makes inside.
        if metadata.is_dir() && depth < 2 {
            tighten_into(&entry.path(), changed, depth + 1)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loose_files_in_the_data_directory_are_made_private() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir_all(data.join("sim")).unwrap();
        std::fs::write(data.join("secrets-console.db"), b"x").unwrap();
        std::fs::write(data.join("sim").join("aws-dev.json"), b"{}").unwrap();
        for path in [
            data.join("secrets-console.db"),
            data.join("sim").join("aws-dev.json"),
        ] {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
        std::fs::set_permissions(data.join("sim"), std::fs::Permissions::from_mode(0o755)).unwrap();
        create_private_dir(&data).unwrap();
        let changed = tighten(&data).unwrap();
        assert_eq!(changed.len(), 3, "{changed:?}");
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&data), 0o700);
        assert_eq!(mode(&data.join("sim")), 0o700);
        assert_eq!(mode(&data.join("secrets-console.db")), 0o600);
        assert_eq!(mode(&data.join("sim").join("aws-dev.json")), 0o600);
    }
}
