//! The phone's configuration: the 7940's own `SIPDefault.cnf` and `SIP<MAC>.cnf` files.
//!
//! ```text
//!  bytes ──cnf::read_cnf──▶ entries (key, value, line) + syntax issues
//!        ──load::load────▶ defaults ◀ SIPDefault.cnf ◀ SIP<MAC>.cnf ◀ --set   (last wins)
//!                          typed PhoneConfig + every setting's origin + value errors
//!        ──lint::lint────▶ findings (NAT recipes, provisioning, leftovers, ranges)
//!  <dial_template>.xml ──dialplan::DialPlan::parse──▶ templates (or a located error)
//! ```
//!
//! Pure: no file system, no network, no clock. `io::config_dir` reads the files and
//! [`locate::choose`] picks them.

pub mod cnf;
pub mod dialplan;
pub mod finding;
pub mod groups;
pub mod host;
pub mod lint;
pub mod load;
pub mod locate;
pub mod model;
pub mod phone;
pub mod print;
pub mod time_zone;
pub mod value;

pub use dialplan::DialPlan;
pub use finding::{Finding, Origin, Severity};
pub use host::Host;
pub use load::{CnfSource, Loaded, Setting, load};
pub use locate::Mac;
pub use model::Model;
pub use phone::{LineConfig, PhoneConfig, ProxyConfig};
pub use value::Secret;
