//! Arrays of items encoded once each: a trader's state shares its trades and remembered
//! requests with the states before it, so their bytes are remembered by object identity
//! (the object is kept, so its id cannot be reused meanwhile) and a whole array is written
//! in one call, not one Python call per item.

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};
use std::collections::HashMap;

use crate::put_long;

struct Entry {
    obj: Py<PyAny>,
    key: Option<Py<PyAny>>, // the pair's first item (a request id), compared by value
    bytes: Py<PyBytes>,
}

#[pyclass(module = "brokerage_native")]
pub struct Memo {
    encode: Py<PyAny>,
    limit: usize,
    items: HashMap<usize, Entry>,
}

impl Memo {
    fn put(&mut self, id: usize, e: Entry) {
        if self.items.len() >= self.limit {
            self.items.clear(); // as the Python memos: cleared when full, refilled as states pass
        }
        self.items.insert(id, e);
    }

    /// `encode(obj)` or `encode(key, obj)`, appended to `body` and remembered.
    fn miss(
        &mut self,
        body: &mut Vec<u8>,
        obj: Bound<'_, PyAny>,
        key: Option<Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let py = obj.py();
        let b = match &key {
            Some(k) => self.encode.call1(py, (k, &obj))?,
            None => self.encode.call1(py, (&obj,))?,
        };
        let b = b.into_bound(py).cast_into::<PyBytes>()?;
        body.extend_from_slice(b.as_bytes());
        let id = obj.as_ptr() as usize;
        self.put(
            id,
            Entry {
                obj: obj.unbind(),
                key: key.map(Bound::unbind),
                bytes: b.unbind(),
            },
        );
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
            items: HashMap::new(),
        }
    }

    /// The Avro array of `encode(x)` for x in `items`.
    fn array<'py>(&mut self, items: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyBytes>> {
        let py = items.py();
        let (mut body, mut count) = (Vec::with_capacity(1024), 0);
        for x in items.try_iter()? {
            let x = x?;
            let id = x.as_ptr() as usize;
            match self.items.get(&id) {
                Some(e) if e.obj.is(&x) => body.extend_from_slice(e.bytes.as_bytes(py)),
                _ => self.miss(&mut body, x, None)?,
            }
            count += 1;
        }
        Ok(finish(py, count, &body))
    }

    /// The Avro array of `encode(k, v)` for (k, v) in `pairs`; remembered by v and k.
    fn pairs<'py>(&mut self, pairs: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyBytes>> {
        let py = pairs.py();
        let (mut body, mut count) = (Vec::with_capacity(4096), 0);
        for kv in pairs.try_iter()? {
            let (k, v): (Bound<'py, PyAny>, Bound<'py, PyAny>) = kv?.extract()?;
            let id = v.as_ptr() as usize;
            let hit = match self.items.get(&id) {
                Some(e) if e.obj.is(&v) => match &e.key {
                    Some(key) if key.is(&k) || key.bind(py).eq(&k)? => Some(e),
                    _ => None,
                },
                _ => None,
            };
            match hit {
                Some(e) => body.extend_from_slice(e.bytes.as_bytes(py)),
                None => self.miss(&mut body, v, Some(k))?,
            }
            count += 1;
        }
        Ok(finish(py, count, &body))
    }
}

/// The Avro array of strings (`items`: any iterable of str).
#[pyfunction]
pub fn strings_array<'py>(items: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyBytes>> {
    let (mut body, mut count) = (Vec::with_capacity(1024), 0);
    for s in items.try_iter()? {
        let s = s?;
        let s = s.cast::<PyString>()?.to_str()?;
        put_long(&mut body, s.len() as i64);
        body.extend_from_slice(s.as_bytes());
        count += 1;
    }
    Ok(finish(items.py(), count, &body))
}
