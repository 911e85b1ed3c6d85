//! reviews (in progress)
