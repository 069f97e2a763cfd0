//! Dropping privileges once the tree is ready: supplementary groups, then group, then user.

use std::ffi::CString;

use nix::unistd::{Uid, initgroups, setgid, setgroups, setuid};

use crate::Failure;
use crate::plan::Identity;

/// Switches the whole process (all threads) to `identity`, in the order supplementary groups →
/// gid → uid, and checks that root cannot be regained.
pub(crate) fn drop_to(identity: &Identity) -> Result<(), Failure> {
    let fail = |what: &str, err: nix::Error| Failure::failed(format!("cannot drop privileges: {what}: {err}"));
    match &identity.user {
        Some(user) => {
            let name = CString::new(user.name.clone()).map_err(|_| Failure::failed("user name contains a NUL byte"))?;
            initgroups(&name, identity.gid).map_err(|err| fail("initgroups", err))?;
        }
        None => setgroups(&[identity.gid]).map_err(|err| fail("setgroups", err))?,
    }
    setgid(identity.gid).map_err(|err| fail("setgid", err))?;
    if let Some(uid) = identity.uid {
        setuid(uid).map_err(|err| fail("setuid", err))?;
        if !uid.is_root() && setuid(Uid::from_raw(0)).is_ok() {
            return Err(Failure::failed("cannot drop privileges: root could be regained after setuid"));
        }
    }
    log::info!(target: "runner", "running as uid {} gid {}", Uid::current(), nix::unistd::Gid::current());
    Ok(())
}
