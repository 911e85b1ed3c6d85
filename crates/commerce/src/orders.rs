//! orders (in progress)
