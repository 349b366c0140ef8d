//! Reading a phone's files from a directory laid out like its TFTP root.

use crate::config::locate::{self, Chosen, LocateError, Mac};
use crate::config::{CnfSource, Loaded, load};
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Why the files could not be read (`check` exits 2).
#[derive(Debug, Error)]
pub enum ConfigDirError {
    /// The directory cannot be listed.
    #[error("cannot read the config directory {}: {source}", path.display())]
    Dir {
        /// The directory.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A chosen file cannot be read.
    #[error("cannot read {}: {source}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The files are not there.
    #[error("{}: {source}", dir.display())]
    Locate {
        /// The directory.
        dir: PathBuf,
        /// Which files are missing.
        source: LocateError,
    },
}

/// The files a phone read, and the loaded result.
#[derive(Debug, Clone)]
pub struct FromDir {
    /// Which files were used.
    pub chosen: Chosen,
    /// Their paths, in reading order.
    pub paths: Vec<PathBuf>,
    /// The merged, typed and linted configuration.
    pub loaded: Loaded,
}

/// Finds, reads and loads the phone's files in `dir`.
pub fn load_dir(
    dir: &Path,
    mac: Option<Mac>,
    overrides: &[(String, String)],
) -> Result<FromDir, ConfigDirError> {
    let dir_error = |source| ConfigDirError::Dir { path: dir.to_owned(), source };
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(dir_error)? {
        let entry = entry.map_err(dir_error)?;
        if entry.file_type().is_ok_and(|t| t.is_file() || t.is_symlink()) {
            names.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    let chosen = locate::choose(&names, mac)
        .map_err(|source| ConfigDirError::Locate { dir: dir.to_owned(), source })?;
    let mut sources = Vec::new();
    let mut paths = Vec::new();
    for name in [&chosen.default, &chosen.phone].into_iter().flatten() {
        let path = dir.join(name);
        let bytes =
            std::fs::read(&path).map_err(|source| ConfigDirError::File { path: path.clone(), source })?;
        sources.push(CnfSource { path: path.display().to_string(), bytes });
        paths.push(path);
    }
    let mut loaded = load(&sources, overrides);
    let missing = locate::missing_file_findings(&chosen, &dir.display().to_string());
    loaded.findings.splice(0..0, missing);
    Ok(FromDir { chosen, paths, loaded })
}

/// Reads the file called `name` in `dir`, the name matched in any case (the exact
/// spelling wins over another case): its path and bytes, or `Ok(None)` when there is no
/// such file. The dial plan (`<dial_template>.xml`) is read this way.
pub fn read_named(dir: &Path, name: &str) -> Result<Option<(PathBuf, Vec<u8>)>, ConfigDirError> {
    let dir_error = |source| ConfigDirError::Dir { path: dir.to_owned(), source };
    let mut found = None;
    for entry in std::fs::read_dir(dir).map_err(dir_error)? {
        let entry = entry.map_err(dir_error)?;
        let file_name = entry.file_name().to_string_lossy().into_owned();
        if file_name.eq_ignore_ascii_case(name)
            && entry.file_type().is_ok_and(|t| t.is_file() || t.is_symlink())
        {
            // The exact spelling wins over another case.
            if found.is_none() || file_name == name {
                found = Some(dir.join(file_name));
            }
        }
    }
    let Some(path) = found else { return Ok(None) };
    let bytes = std::fs::read(&path).map_err(|source| ConfigDirError::File { path: path.clone(), source })?;
    Ok(Some((path, bytes)))
}
