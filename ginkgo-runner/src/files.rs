//! The files the runner opens for writing on the service's behalf (the log files: `logfile`,
//! every `logconfig` output, a daemon's standard output and error; the pidfile, through
//! [`crate::pidfile`]) and the folder it runs in (`rundir`), reached so that nothing the service
//! user plants can redirect them.
//!
//! The service user may own the folder such a file lives in (it must, to rotate its own logs),
//! so between two of the runner's steps it can put a symbolic link, a hard link, a FIFO, a device
//! or a file of its own where the runner expects its file. The runner, often root, therefore:
//!
//! * **walks to the file's folder one folder at a time**, from `/`, each opened by descriptor
//!   relative to the one before. Every folder it passes through on the way must belong to root
//!   (or to the user the runner runs as) and be writable by nobody else: not by everyone unless
//!   it is sticky (like `/tmp`), not by a group the service user is in. A symbolic link on the
//!   way is followed only when root (or the runner's user) owns it, like `/var/run -> /run`.
//!   So only root can change where the walk leads.
//! * **accepts as the file's folder** one that belongs to root, the runner's user or the service
//!   user. Who else may write it does not matter, because of the next rule.
//! * **opens the file relative to that folder's descriptor**, never through a symbolic link
//!   (`O_NOFOLLOW`), without waiting on a FIFO (`O_NONBLOCK`), and checks it on the open
//!   descriptor (`fstat`): a regular file, one link, belonging to root, the runner's user or the
//!   service user. A missing file is created with `O_CREAT | O_EXCL` (mode 0666 less the umask)
//!   and, only then, given to the service user with `fchown` on its descriptor. A file the runner
//!   did not create keeps its owner and mode.
//!
//! `rundir` is walked to like a file's folder and entered with `fchdir` on its descriptor.

use std::collections::VecDeque;
use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;

use nix::errno::Errno;
use nix::fcntl::{AtFlags, FcntlArg, OFlag, fcntl, open, openat, readlinkat};
use nix::sys::stat::{FileStat, Mode, SFlag, fstat, fstatat};
use nix::unistd::{Gid, Group, Uid, UnlinkatFlags, User, fchdir, fchown, getgrouplist, unlinkat};

use crate::Failure;
use crate::plan::{Identity, Plan};

/// Symbolic links one walk follows at most, as the kernel's own limit.
const MAX_LINKS: usize = 40;

/// The service user of this process, once the plan is known; see [`give_new_files_to`].
static SERVICE_USER: Mutex<Option<ServiceUser>> = Mutex::new(None);

/// Makes the files the runner creates from now on belong to `identity` (the service user and
/// group), and accepts files and folders that belong to it. A process-wide rule, like the umask.
pub(crate) fn give_new_files_to(identity: Option<&Identity>) {
    if let Ok(mut service) = SERVICE_USER.lock() {
        *service = identity.map(ServiceUser::of);
    }
}

/// Opens the log file at `path` for appending, creating it if it is missing, under the rules above.
pub(crate) fn open_log(path: &Path) -> Result<File, Failure> {
    let owners = Owners::current();
    let opened = owners.split(path).and_then(|(folder, name)| owners.open_folder(folder)?.open_append(name, &owners));
    opened.map_err(|problem| Failure::failed(problem.describe("log file", "open log file", path)))
}

/// Changes the working folder to `dir`, reached under the rules above.
pub(crate) fn enter_rundir(dir: &Path) -> Result<(), Failure> {
    let describe = |problem: Problem| Failure::failed(problem.describe("rundir", "change to rundir", dir));
    let folder = Owners::current().open_folder(dir).map_err(describe)?;
    fchdir(&folder.fd).map_err(|errno| describe(Problem::Failed(None, errno)))
}

/// Checks, before anything starts, every file and folder `plan` will write to or run in: the
/// pidfile, the log file, the `logconfig` outputs and `rundir`. Finds, as a usage error, what the
/// opens would refuse later; the opens check again, since the files can change in between.
pub(crate) fn check(plan: &Plan) -> Result<(), Failure> {
    let owners = Owners::for_identity(plan.identity.as_ref());
    let mut files = vec![("pidfile", "write pidfile", plan.pidfile.as_path())];
    files.extend(plan.logfile.as_deref().map(|path| ("log file", "open log file", path)));
    let outputs = plan.log.detail.iter().flat_map(|detail| &detail.outputs);
    files.extend(
        outputs.filter(|o| *o != "stdout" && *o != "stderr").map(|o| ("log file", "open log file", Path::new(o))),
    );
    for (what, cannot, path) in files {
        let checked =
            owners.split(path).and_then(|(folder, name)| owners.open_folder(folder)?.check_entry(name, &owners));
        checked.map_err(|problem| Failure::usage(problem.describe(what, cannot, path)))?;
    }
    if let Some(dir) = &plan.rundir {
        owners
            .open_folder(dir)
            .map_err(|problem| Failure::usage(problem.describe("rundir", "change to rundir", dir)))?;
    }
    Ok(())
}

/// Why a file or a folder was not used.
#[derive(Debug, PartialEq)]
pub(crate) enum Problem {
    /// A rule refuses it; the reason, worded for the user.
    Refused(String),
    /// The system refused: on a folder on the way (`Some`), or on the file itself.
    Failed(Option<PathBuf>, Errno),
}

impl Problem {
    /// One line: `refusing log file /x/app.log: it is a symbolic link`, or
    /// `cannot open log file /x/app.log: folder /x: No such file or directory (os error 2)`.
    pub(crate) fn describe(&self, what: &str, cannot: &str, path: &Path) -> String {
        match self {
            Problem::Refused(why) => format!("refusing {what} {}: {why}", path.display()),
            Problem::Failed(None, errno) => format!("cannot {cannot} {}: {}", path.display(), os_error(*errno)),
            Problem::Failed(Some(on), errno) => {
                format!("cannot {cannot} {}: {}: {}", path.display(), on.display(), os_error(*errno))
            }
        }
    }
}

fn os_error(errno: Errno) -> std::io::Error {
    std::io::Error::from_raw_os_error(errno as i32)
}

/// The user the service switches to.
#[derive(Clone, Debug)]
struct ServiceUser {
    /// `None` when only `group` is set: the service keeps the runner's user.
    uid: Option<Uid>,
    gid: Gid,
    /// Its group and supplementary groups.
    groups: Vec<Gid>,
}

impl ServiceUser {
    fn of(identity: &Identity) -> ServiceUser {
        let groups = identity
            .user
            .as_ref()
            .and_then(|user| getgrouplist(&std::ffi::CString::new(user.name.clone()).ok()?, identity.gid).ok())
            .unwrap_or_else(|| vec![identity.gid]);
        ServiceUser { uid: identity.uid, gid: identity.gid, groups }
    }
}

/// Who may own the runner's files and the folders on the way to them: root, the user the runner
/// runs as now, and the service user.
#[derive(Clone, Debug)]
pub(crate) struct Owners {
    runner: Uid,
    service: Option<ServiceUser>,
}

impl Owners {
    /// The rules of this process now: its effective user, and the service user given to
    /// [`give_new_files_to`].
    pub(crate) fn current() -> Owners {
        let service = SERVICE_USER.lock().ok().and_then(|service| service.clone());
        Owners { runner: Uid::effective(), service }
    }

    fn for_identity(identity: Option<&Identity>) -> Owners {
        Owners { runner: Uid::effective(), service: identity.map(ServiceUser::of) }
    }

    /// `path`'s folder and file name; a path that names no file is refused.
    pub(crate) fn split<'p>(&self, path: &'p Path) -> Result<(&'p Path, &'p OsStr), Problem> {
        match (path.parent(), path.file_name()) {
            (Some(folder), Some(name)) => {
                Ok((if folder.as_os_str().is_empty() { Path::new(".") } else { folder }, name))
            }
            _ => Err(Problem::Refused("it names a folder, not a file".into())),
        }
    }

    /// Walks from `/` to the folder `path`, checking every step (see the module's rules).
    pub(crate) fn open_folder(&self, path: &Path) -> Result<Folder, Problem> {
        let path = std::path::absolute(path).map_err(|_| Problem::Failed(Some(path.to_path_buf()), Errno::ENOENT))?;
        let mut todo: VecDeque<Step> = steps(&path).collect();
        let mut at = PathBuf::from("/");
        let mut fd = open_root()?;
        let mut links = 0;
        while let Some(step) = todo.pop_front() {
            let name = match step {
                Step::Root => {
                    (fd, at) = (open_root()?, PathBuf::from("/"));
                    continue;
                }
                Step::Up => OsString::from(".."),
                Step::Name(name) => name,
            };
            // A name is looked up in `fd`: only root may be able to change what it names.
            self.check_passage(&stat(&fd, &at)?, &at)?;
            let next = at.join(&name);
            let entry = fstatat(&fd, name.as_os_str(), AtFlags::AT_SYMLINK_NOFOLLOW)
                .map_err(|errno| Problem::Failed(Some(next.clone()), errno))?;
            match kind(&entry) {
                SFlag::S_IFLNK => {
                    links += 1;
                    if links > MAX_LINKS {
                        return Err(Problem::Refused("too many symbolic links on the way".into()));
                    }
                    if !self.is_runners(entry.st_uid) {
                        return Err(Problem::Refused(format!(
                            "{} is a symbolic link owned by {}; only links owned by {} are followed",
                            next.display(),
                            who(entry.st_uid),
                            self.runners()
                        )));
                    }
                    let target =
                        readlinkat(&fd, name.as_os_str()).map_err(|errno| Problem::Failed(Some(next), errno))?;
                    for step in steps(Path::new(&target)).collect::<Vec<_>>().into_iter().rev() {
                        todo.push_front(step);
                    }
                }
                SFlag::S_IFDIR => {
                    let flags = OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
                    fd = openat(&fd, name.as_os_str(), flags, Mode::empty())
                        .map_err(|errno| Problem::Failed(Some(next.clone()), errno))?;
                    if name == ".." {
                        at.pop();
                    } else {
                        at = next;
                    }
                }
                _ => return Err(Problem::Refused(format!("{} is not a folder", next.display()))),
            }
        }
        let folder = stat(&fd, &at)?;
        if !self.may_own(folder.st_uid) {
            return Err(Problem::Refused(format!(
                "folder {} belongs to {}, not to {}",
                at.display(),
                who(folder.st_uid),
                self.allowed()
            )));
        }
        Ok(Folder { fd })
    }

    /// A folder the walk passes through belongs to root (or the runner's user), and nobody else
    /// can change its entries.
    fn check_passage(&self, folder: &FileStat, path: &Path) -> Result<(), Problem> {
        let sticky = folder.st_mode & Mode::S_ISVTX.bits() != 0;
        if !self.is_runners(folder.st_uid) {
            return Err(Problem::Refused(format!(
                "folder {} belongs to {}; the folders leading to it must belong to {}",
                path.display(),
                who(folder.st_uid),
                self.runners()
            )));
        }
        if folder.st_mode & Mode::S_IWOTH.bits() != 0 && !sticky {
            return Err(Problem::Refused(format!("folder {} is writable by everyone and not sticky", path.display())));
        }
        let group = Gid::from_raw(folder.st_gid);
        let service = self.service.as_ref().filter(|s| s.uid.is_some_and(|uid| uid != self.runner));
        if let Some(service) = service.filter(|s| s.groups.contains(&group)) {
            if folder.st_mode & Mode::S_IWGRP.bits() != 0 && !sticky {
                return Err(Problem::Refused(format!(
                    "folder {} is writable by group {}, which {} is in",
                    path.display(),
                    group_name(group),
                    who(service.uid.map_or(0, Uid::as_raw))
                )));
            }
        }
        Ok(())
    }

    /// A file the runner may write: a regular file, one link, belonging to root, the runner's
    /// user or the service user.
    pub(crate) fn check_file(&self, file: &FileStat) -> Result<(), Problem> {
        check_kind(file)?;
        if !self.may_own(file.st_uid) {
            return Err(Problem::Refused(format!("it belongs to {}, not to {}", who(file.st_uid), self.allowed())));
        }
        Ok(())
    }

    fn is_runners(&self, uid: u32) -> bool {
        uid == 0 || uid == self.runner.as_raw()
    }

    fn may_own(&self, uid: u32) -> bool {
        self.is_runners(uid) || self.service_uid() == Some(uid)
    }

    fn service_uid(&self) -> Option<u32> {
        self.service.as_ref().and_then(|s| s.uid).map(Uid::as_raw)
    }

    /// "root", or "root or alice (uid 1000)" when the runner is not root.
    fn runners(&self) -> String {
        describe_owners(&[0, self.runner.as_raw()])
    }

    /// [`Owners::runners`] and the service user.
    fn allowed(&self) -> String {
        let mut uids = vec![0, self.runner.as_raw()];
        uids.extend(self.service_uid());
        describe_owners(&uids)
    }

    /// Who a file the runner creates is given to, if anyone: only root can give files away.
    fn receiver(&self) -> Option<(Option<Uid>, Gid)> {
        let service = self.service.as_ref().filter(|_| self.runner.is_root())?;
        Some((service.uid, service.gid))
    }
}

/// A folder reached by [`Owners::open_folder`], held by descriptor.
pub(crate) struct Folder {
    fd: OwnedFd,
}

impl AsFd for Folder {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl Folder {
    /// Opens `name` for appending, or creates it; see the module's rules.
    fn open_append(&self, name: &OsStr, owners: &Owners) -> Result<File, Problem> {
        // Three rounds: the file can vanish or appear between the looks, once or twice.
        for _ in 0..3 {
            match self.check_entry(name, owners) {
                Ok(Entry::Missing) => match self.create(name, OFlag::O_WRONLY | OFlag::O_APPEND, owners) {
                    Err(Problem::Failed(None, Errno::EEXIST)) => continue,
                    created => return created.map(File::from),
                },
                Ok(Entry::Present) => {}
                Err(problem) => return Err(problem),
            }
            let flags = OFlag::O_WRONLY
                | OFlag::O_APPEND
                | OFlag::O_NOFOLLOW
                | OFlag::O_NONBLOCK
                | OFlag::O_NOCTTY
                | OFlag::O_CLOEXEC;
            let fd = match openat(self, name, flags, Mode::empty()) {
                Err(Errno::ENOENT) => continue,
                Err(Errno::ELOOP) => return Err(Problem::Refused("it is a symbolic link".into())),
                Err(errno) => return Err(Problem::Failed(None, errno)),
                Ok(fd) => fd,
            };
            owners.check_file(&fstat(&fd).map_err(|errno| Problem::Failed(None, errno))?)?;
            // A regular file: blocking or not makes no difference, but keep the usual flags.
            fcntl(&fd, FcntlArg::F_SETFL(OFlag::O_APPEND)).map_err(|errno| Problem::Failed(None, errno))?;
            return Ok(File::from(fd));
        }
        Err(Problem::Refused("it keeps changing while being opened".into()))
    }

    /// Looks at `name` without opening it: missing, or a file [`Owners::check_file`] accepts.
    pub(crate) fn check_entry(&self, name: &OsStr, owners: &Owners) -> Result<Entry, Problem> {
        match fstatat(self, name, AtFlags::AT_SYMLINK_NOFOLLOW) {
            Err(Errno::ENOENT) => Ok(Entry::Missing),
            Err(errno) => Err(Problem::Failed(None, errno)),
            Ok(entry) => owners.check_file(&entry).map(|()| Entry::Present),
        }
    }

    /// Creates `name`, which must not exist, opened with `access` flags, and gives it to the
    /// service user. Fails with `Failed(None, EEXIST)` if something is already there.
    pub(crate) fn create(&self, name: &OsStr, access: OFlag, owners: &Owners) -> Result<OwnedFd, Problem> {
        let flags = access | OFlag::O_CREAT | OFlag::O_EXCL | OFlag::O_NOFOLLOW | OFlag::O_NOCTTY | OFlag::O_CLOEXEC;
        let fd =
            openat(self, name, flags, Mode::from_bits_truncate(0o666)).map_err(|errno| Problem::Failed(None, errno))?;
        if let Some((uid, gid)) = owners.receiver() {
            if let Err(errno) = fchown(&fd, uid, Some(gid)) {
                let _ = unlinkat(self, name, UnlinkatFlags::NoRemoveDir);
                return Err(Problem::Failed(None, errno));
            }
        }
        Ok(fd)
    }
}

/// A regular file with one link: not a symbolic link, a FIFO, a device, a socket or a folder,
/// and not a hard link to a file elsewhere.
pub(crate) fn check_kind(file: &FileStat) -> Result<(), Problem> {
    match kind(file) {
        SFlag::S_IFREG => {}
        SFlag::S_IFLNK => return Err(Problem::Refused("it is a symbolic link".into())),
        other => return Err(Problem::Refused(format!("it is {}, not a regular file", kind_name(other)))),
    }
    if file.st_nlink != 1 {
        return Err(Problem::Refused(format!("it has {} hard links", file.st_nlink)));
    }
    Ok(())
}

/// What [`Folder::check_entry`] found.
#[derive(Debug, PartialEq)]
pub(crate) enum Entry {
    Missing,
    Present,
}

/// One step of a walk.
enum Step {
    Root,
    Up,
    Name(OsString),
}

fn steps(path: &Path) -> impl Iterator<Item = Step> + '_ {
    path.components().filter_map(|component| match component {
        Component::RootDir | Component::Prefix(_) => Some(Step::Root),
        Component::CurDir => None,
        Component::ParentDir => Some(Step::Up),
        Component::Normal(name) => Some(Step::Name(name.to_os_string())),
    })
}

fn open_root() -> Result<OwnedFd, Problem> {
    open("/", OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC, Mode::empty())
        .map_err(|errno| Problem::Failed(Some(PathBuf::from("/")), errno))
}

fn stat(fd: &OwnedFd, path: &Path) -> Result<FileStat, Problem> {
    fstat(fd).map_err(|errno| Problem::Failed(Some(path.to_path_buf()), errno))
}

fn kind(stat: &FileStat) -> SFlag {
    SFlag::from_bits_truncate(stat.st_mode & SFlag::S_IFMT.bits())
}

fn kind_name(kind: SFlag) -> &'static str {
    match kind {
        SFlag::S_IFDIR => "a folder",
        SFlag::S_IFIFO => "a named pipe (FIFO)",
        SFlag::S_IFCHR => "a character device",
        SFlag::S_IFBLK => "a block device",
        SFlag::S_IFSOCK => "a socket",
        _ => "something else",
    }
}

/// "root", "nobody (uid 65534)", or "uid 4321" for a uid with no account.
fn who(uid: u32) -> String {
    match (uid, User::from_uid(Uid::from_raw(uid))) {
        (0, _) => "root".into(),
        (_, Ok(Some(user))) => format!("{} (uid {uid})", user.name),
        _ => format!("uid {uid}"),
    }
}

fn group_name(gid: Gid) -> String {
    match Group::from_gid(gid) {
        Ok(Some(group)) => format!("{} (gid {gid})", group.name),
        _ => format!("gid {gid}"),
    }
}

/// `uids`, named and joined with "or", each once.
fn describe_owners(uids: &[u32]) -> String {
    let mut unique: Vec<u32> = Vec::new();
    for uid in uids {
        if !unique.contains(uid) {
            unique.push(*uid);
        }
    }
    unique.into_iter().map(who).collect::<Vec<_>>().join(" or ")
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::{MetadataExt, PermissionsExt, chown, lchown, symlink};

    use super::*;

    const NOBODY: u32 = 65534;

    fn owners(service: Option<u32>) -> Owners {
        let service = service.map(|uid| ServiceUser {
            uid: Some(Uid::from_raw(uid)),
            gid: Gid::from_raw(uid),
            groups: vec![Gid::from_raw(uid)],
        });
        Owners { runner: Uid::effective(), service }
    }

    fn refused(why: &str) -> Problem {
        Problem::Refused(why.to_string())
    }

    fn open(owners: &Owners, path: &Path) -> Result<File, Problem> {
        let (folder, name) = owners.split(path)?;
        owners.open_folder(folder)?.open_append(name, owners)
    }

    fn set_mode(path: &Path, mode: u32) {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    fn is_root() -> bool {
        let root = Uid::effective().is_root();
        if !root {
            eprintln!("skipped: needs root, to own files as other users");
        }
        root
    }

    #[test]
    fn a_log_file_is_created_then_appended_to() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.log");
        let owners = owners(None);
        std::io::Write::write_all(&mut open(&owners, &path).unwrap(), b"one\n").unwrap();
        std::io::Write::write_all(&mut open(&owners, &path).unwrap(), b"two\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "one\ntwo\n");
        // `..` and `.` on the way are walked like any step.
        let roundabout = dir.path().join(".").join("..").join(dir.path().file_name().unwrap()).join("app.log");
        std::io::Write::write_all(&mut open(&owners, &roundabout).unwrap(), b"three\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "one\ntwo\nthree\n");
    }

    #[test]
    fn a_symbolic_link_a_fifo_or_a_hard_link_is_refused_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target");
        std::fs::write(&target, "keep\n").unwrap();
        let owners = owners(None);

        let link = dir.path().join("link.log");
        symlink(&target, &link).unwrap();
        assert_eq!(open(&owners, &link).unwrap_err(), refused("it is a symbolic link"));

        let twice = dir.path().join("twice.log");
        std::fs::hard_link(&target, &twice).unwrap();
        assert_eq!(open(&owners, &twice).unwrap_err(), refused("it has 2 hard links"));

        let fifo = dir.path().join("fifo.log");
        nix::unistd::mkfifo(&fifo, Mode::from_bits_truncate(0o666)).unwrap();
        // No reader: an open that waited would hang here.
        assert_eq!(open(&owners, &fifo).unwrap_err(), refused("it is a named pipe (FIFO), not a regular file"));

        assert_eq!(open(&owners, dir.path()).unwrap_err(), refused("it is a folder, not a regular file"));
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep\n");
    }

    #[test]
    fn a_new_file_goes_to_the_service_user_and_an_old_one_keeps_its_owner() {
        if !is_root() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let owners = owners(Some(NOBODY));
        let new = dir.path().join("new.log");
        drop(open(&owners, &new).unwrap());
        assert_eq!((std::fs::metadata(&new).unwrap().uid(), std::fs::metadata(&new).unwrap().gid()), (NOBODY, NOBODY));

        let old = dir.path().join("old.log");
        std::fs::write(&old, "").unwrap();
        set_mode(&old, 0o600);
        drop(open(&owners, &old).unwrap());
        let meta = std::fs::metadata(&old).unwrap();
        assert_eq!((meta.uid(), meta.mode() & 0o777), (0, 0o600));

        let strangers = dir.path().join("strangers.log");
        std::fs::write(&strangers, "").unwrap();
        chown(&strangers, Some(4321), None).unwrap();
        assert_eq!(
            open(&owners, &strangers).unwrap_err(),
            refused("it belongs to uid 4321, not to root or nobody (uid 65534)")
        );
    }

    #[test]
    fn the_walk_refuses_folders_and_links_others_could_change() {
        if !is_root() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let at = |name: &str| dir.path().join(name);
        let mkdir = |name: &str, uid: u32, gid: u32, mode: u32| {
            std::fs::create_dir(at(name)).unwrap();
            chown(at(name), Some(uid), Some(gid)).unwrap();
            set_mode(&at(name), mode);
        };
        mkdir("nobodys", NOBODY, NOBODY, 0o755);
        mkdir("nobodys/logs", NOBODY, NOBODY, 0o755);
        mkdir("open", 0, 0, 0o777);
        mkdir("open/logs", 0, 0, 0o755);
        mkdir("group", 0, NOBODY, 0o775);
        mkdir("group/logs", 0, 0, 0o755);
        mkdir("sticky", 0, 0, 0o1777);
        mkdir("sticky/logs", 0, 0, 0o755);
        symlink(at("nobodys"), at("sticky/link")).unwrap();
        lchown(at("sticky/link"), Some(NOBODY), Some(NOBODY)).unwrap();
        symlink(at("loop"), at("loop")).unwrap();
        symlink(at("nobodys"), at("roots")).unwrap();
        let as_root = owners(None);
        let owners = owners(Some(NOBODY));
        let walk = |path: &str| owners.open_folder(&at(path)).map(drop);
        let shown = |name: &str| at(name).display().to_string();

        assert_eq!(
            walk("nobodys/logs").unwrap_err(),
            refused(&format!(
                "folder {} belongs to nobody (uid 65534); the folders leading to it must belong to root",
                shown("nobodys")
            ))
        );
        assert_eq!(
            walk("open/logs").unwrap_err(),
            refused(&format!("folder {} is writable by everyone and not sticky", shown("open")))
        );
        assert_eq!(
            walk("group/logs").unwrap_err(),
            refused(&format!(
                "folder {} is writable by group {}, which nobody (uid 65534) is in",
                shown("group"),
                group_name(Gid::from_raw(NOBODY))
            ))
        );
        assert_eq!(walk("sticky/logs"), Ok(()), "a sticky folder is fine on the way");
        assert_eq!(
            walk("sticky/link").unwrap_err(),
            refused(&format!(
                "{} is a symbolic link owned by nobody (uid 65534); only links owned by root are followed",
                shown("sticky/link")
            ))
        );
        assert_eq!(walk("loop").unwrap_err(), refused("too many symbolic links on the way"));
        // Root's link to the service user's folder, as the file's folder: followed and accepted.
        assert_eq!(walk("roots"), Ok(()));
        // The file's own folder may belong to the service user, but not to a stranger.
        assert_eq!(walk("nobodys"), Ok(()));
        assert_eq!(
            as_root.open_folder(&at("nobodys")).map(drop).unwrap_err(),
            refused(&format!("folder {} belongs to nobody (uid 65534), not to root", shown("nobodys")))
        );
        assert_eq!(
            walk("missing/logs").unwrap_err(),
            Problem::Failed(Some(at("missing")), Errno::ENOENT),
            "a missing folder names itself"
        );
    }

    #[test]
    fn problems_read_as_one_line_naming_the_file() {
        let path = Path::new("/x/app.log");
        assert_eq!(
            refused("it is a symbolic link").describe("log file", "open log file", path),
            "refusing log file /x/app.log: it is a symbolic link"
        );
        assert_eq!(
            Problem::Failed(Some(PathBuf::from("/x")), Errno::ENOENT).describe("log file", "open log file", path),
            "cannot open log file /x/app.log: /x: No such file or directory (os error 2)"
        );
        assert_eq!(
            Problem::Failed(None, Errno::EACCES).describe("pidfile", "write pidfile", path),
            "cannot write pidfile /x/app.log: Permission denied (os error 13)"
        );
    }
}
