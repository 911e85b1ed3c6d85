//! Where the server connects domains that do not depend on each other: a
//! domain declares what it needs of another as a trait, and the adapters
//! here answer it with the other domain, passed explicitly to the calls that
//! need them.

pub mod commerce;
