//! Arrays of items encoded once each: a trader's state shares its trades and remembered
//! requests with the states before it, so their bytes are remembered by object identity
//! (the object is kept, so its id cannot be reused meanwhile) and a whole array is written
//! in one call, not one Python call per item.
//!
//! Safe from any thread: the lock is never held across a call into Python (an encoder may
//! let another thread run) nor while old entries are dropped (a dealloc may run Python).

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use crate::{put_bytes, put_long};

struct Entry {
    obj: Py<PyAny>,
    key: Option<String>, // the pair's first item (a request id), compared by value
    bytes: Py<PyBytes>,
}

type Items = HashMap<usize, Entry>;

#[pyclass(frozen, module = "brokerage_native")]
pub struct Memo {
    encode: Py<PyAny>,
    limit: usize,
    items: Mutex<Items>,
}

impl Memo {
    fn items(&self) -> MutexGuard<'_, Items> {
        self.items.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Appends the remembered bytes of `obj` (under `key`) to `body`; false if none.
    fn hit(&self, body: &mut Vec<u8>, obj: &Bound<'_, PyAny>, key: Option<&str>) -> bool {
        let items = self.items();
        match items.get(&(obj.as_ptr() as usize)) {
            Some(e) if e.obj.is(obj) && e.key.as_deref() == key => {
                body.extend_from_slice(e.bytes.bind(obj.py()).as_bytes());
                true
            }
            _ => false,
        }
    }

    /// `encode(obj)` or `encode(key, obj)`, appended to `body` and remembered.
    fn miss(
        &self,
        body: &mut Vec<u8>,
        obj: Bound<'_, PyAny>,
        key: Option<(Bound<'_, PyAny>, String)>,
    ) -> PyResult<()> {
        let py = obj.py();
        let b = match &key {
            Some((k, _)) => self.encode.call1(py, (k, &obj))?,
            None => self.encode.call1(py, (&obj,))?,
        };
        let b = b.into_bound(py).cast_into::<PyBytes>()?;
        body.extend_from_slice(b.as_bytes());
        let id = obj.as_ptr() as usize;
        let entry = Entry {
            obj: obj.unbind(),
            key: key.map(|(_, s)| s),
            bytes: b.unbind(),
        };
        let (_old, _replaced) = {
            let mut items = self.items();
            // As the Python memos: cleared when full, refilled as states pass.
            let old = if items.len() >= self.limit {
                std::mem::take(&mut *items)
            } else {
                Items::new()
            };
            (old, items.insert(id, entry))
        }; // dropped here, unlocked
        Ok(())
    }
}

fn finish<'py>(py: Python<'py>, count: usize, body: &[u8]) -> Bound<'py, PyBytes> {
    if count == 0 {
        return PyBytes::new(py, b"\x00");
    }
    let mut out = Vec::with_capacity(body.len() + 11);
    put_long(&mut out, count as i64);
    out.extend_from_slice(body);
    out.push(0);
    PyBytes::new(py, &out)
}

#[pymethods]
impl Memo {
    /// `encode(item)` or, for `pairs`, `encode(key, item)`: the bytes of one item.
    #[new]
    fn new(encode: Py<PyAny>, limit: usize) -> Self {
        Memo {
            encode,
            limit,
            items: Mutex::new(Items::new()),
        }
    }

    /// The Avro array of `encode(x)` for x in `items`.
    fn array<'py>(&self, items: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyBytes>> {
        let (mut body, mut count) = (Vec::with_capacity(1024), 0);
        for x in items.try_iter()? {
            let x = x?;
            if !self.hit(&mut body, &x, None) {
                self.miss(&mut body, x, None)?;
            }
            count += 1;
        }
        Ok(finish(items.py(), count, &body))
    }

    /// The Avro array of `encode(k, v)` for (k, v) in `pairs` (k a str); remembered by v
    /// and k.
    fn pairs<'py>(&self, pairs: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyBytes>> {
        let (mut body, mut count) = (Vec::with_capacity(4096), 0);
        for kv in pairs.try_iter()? {
            let (k, v): (Bound<'py, PyAny>, Bound<'py, PyAny>) = kv?.extract()?;
            let key = k.cast::<PyString>()?.to_str()?;
            if !self.hit(&mut body, &v, Some(key)) {
                let key = key.to_owned();
                self.miss(&mut body, v, Some((k, key)))?;
            }
            count += 1;
        }
        Ok(finish(pairs.py(), count, &body))
    }

    /// How many items are remembered (for tests).
    fn __len__(&self) -> usize {
        self.items().len()
    }
}

/// The Avro array of strings (`items`: any iterable of str).
#[pyfunction]
pub fn strings_array<'py>(items: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyBytes>> {
    let (mut body, mut count) = (Vec::with_capacity(1024), 0);
    for s in items.try_iter()? {
        let s = s?;
        let s = s.cast::<PyString>()?.to_str()?;
        put_bytes(&mut body, s.as_bytes());
        count += 1;
    }
    Ok(finish(items.py(), count, &body))
}
