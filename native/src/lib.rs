//! Native parts of the per-message path: Avro readers (reader.rs), writers compiled from a
//! schema, arrays of remembered items (memo.rs) and the rules' record copies (records.rs).
//! The writers write byte for byte what `brokerage.codec.compiled` (and so fastavro)
//! writes, with its rules: a missing field with a default takes it, a missing one without
//! raises. The Python code stays the reference: tests/unit/codec and
//! tests/unit/domain/test_records.py run both.

use pyo3::exceptions::{PyKeyError, PyOverflowError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString, PyTuple};

mod memo;
mod reader;
mod records;
mod schema;
use schema::{null_union, Compiler, Node, Record};

/// A varint of the zigzag-encoded long, appended to `out`.
#[inline]
pub(crate) fn put_long(out: &mut Vec<u8>, n: i64) {
    let mut z = ((n << 1) ^ (n >> 63)) as u64;
    while z > 0x7F {
        out.push(((z & 0x7F) | 0x80) as u8);
        z >>= 7;
    }
    out.push(z as u8);
}

/// Avro bytes or string: the length, then the bytes.
#[inline]
pub(crate) fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    put_long(out, b.len() as i64);
    out.extend_from_slice(b);
}

fn as_long(v: &Bound<'_, PyAny>) -> PyResult<i64> {
    v.extract::<i64>().map_err(|e| {
        if e.is_instance_of::<PyOverflowError>(v.py()) {
            PyValueError::new_err(format!("{v} does not fit a long"))
        } else {
            e
        }
    })
}

#[pyclass(frozen, module = "brokerage_native")]
struct Writer {
    nodes: Vec<Node>,
    records: Vec<Record>,
    root: usize,
    attrs: bool,
}

impl Writer {
    fn write(&self, idx: usize, v: &Bound<'_, PyAny>, out: &mut Vec<u8>) -> PyResult<()> {
        match &self.nodes[idx] {
            Node::Null => Ok(()),
            Node::Boolean => {
                out.push(u8::from(v.is_truthy()?));
                Ok(())
            }
            Node::Long => {
                put_long(out, as_long(v)?);
                Ok(())
            }
            Node::Str => {
                let s = v.cast::<PyString>()?.to_str()?;
                put_bytes(out, s.as_bytes());
                Ok(())
            }
            Node::Bytes => {
                let b = v.cast::<PyBytes>()?.as_bytes();
                put_bytes(out, b);
                Ok(())
            }
            Node::Enum { symbols, .. } => {
                let s = v
                    .cast::<PyString>()
                    .map_err(|_| PyKeyError::new_err(v.clone().unbind()))?;
                let s = s.to_str()?;
                match symbols.iter().position(|x| x == s) {
                    Some(i) => {
                        put_long(out, i as i64);
                        Ok(())
                    }
                    None => Err(PyKeyError::new_err(s.to_owned())),
                }
            }
            Node::Union(branches) => {
                let (null_first, other) = null_union(branches, &self.nodes)
                    .ok_or_else(|| PyTypeError::new_err("unsupported union"))?;
                if v.is_none() {
                    put_long(out, if null_first { 0 } else { 1 });
                    Ok(())
                } else {
                    put_long(out, if null_first { 1 } else { 0 });
                    self.write(other, v, out)
                }
            }
            Node::Array(item) => self.array(*item, v, out),
            Node::Record(r) => self.record(*r, v, out),
        }
    }

    fn array(&self, item: usize, v: &Bound<'_, PyAny>, out: &mut Vec<u8>) -> PyResult<()> {
        if let Ok(list) = v.cast::<PyList>() {
            if list.len() > 0 {
                put_long(out, list.len() as i64);
                for x in list.iter() {
                    self.write(item, &x, out)?;
                }
            }
        } else if let Ok(tuple) = v.cast::<PyTuple>() {
            if tuple.len() > 0 {
                put_long(out, tuple.len() as i64);
                for x in tuple.iter() {
                    self.write(item, &x, out)?;
                }
            }
        } else {
            let items: Vec<Bound<'_, PyAny>> = v.try_iter()?.collect::<PyResult<_>>()?;
            if !items.is_empty() {
                put_long(out, items.len() as i64);
                for x in &items {
                    self.write(item, x, out)?;
                }
            }
        }
        out.push(0);
        Ok(())
    }

    fn record(&self, r: usize, v: &Bound<'_, PyAny>, out: &mut Vec<u8>) -> PyResult<()> {
        let py = v.py();
        let dict = if self.attrs {
            None
        } else {
            v.cast::<PyDict>().ok()
        };
        for f in &self.records[r].fields {
            let name = f.name.bind(py);
            let found = if self.attrs {
                match v.getattr(name) {
                    Ok(x) => Some(x),
                    Err(e)
                        if f.default.is_some()
                            && e.is_instance_of::<pyo3::exceptions::PyAttributeError>(py) =>
                    {
                        None
                    }
                    Err(e) => return Err(e),
                }
            } else if let Some(d) = dict {
                d.get_item(name)?
            } else {
                match v.get_item(name) {
                    Ok(x) => Some(x),
                    Err(e) if e.is_instance_of::<PyKeyError>(py) => None,
                    Err(e) => return Err(e),
                }
            };
            match (found, &f.default) {
                (Some(x), _) => self.write(f.node, &x, out)?,
                (None, Some(d)) => self.write(f.node, d.bind(py), out)?,
                (None, None) => return Err(PyKeyError::new_err(name.clone().unbind())),
            }
        }
        Ok(())
    }
}

#[pymethods]
impl Writer {
    /// `schema`: a record as fastavro's `parse_schema` returns it. `attrs`: records are
    /// objects whose attributes are the fields, not dicts.
    #[new]
    #[pyo3(signature = (schema, attrs = false))]
    fn new(schema: &Bound<'_, PyDict>, attrs: bool) -> PyResult<Self> {
        let (c, root) = Compiler::compile(schema)?;
        if !matches!(c.nodes[root], Node::Record(_)) {
            return Err(PyValueError::new_err(
                "unsupported: the schema must be a record",
            ));
        }
        for n in &c.nodes {
            if let Node::Union(b) = n {
                if null_union(b, &c.nodes).is_none() {
                    return Err(PyValueError::new_err(
                        "unsupported: a union other than null|T",
                    ));
                }
            }
        }
        Ok(Writer {
            nodes: c.nodes,
            records: c.records,
            root,
            attrs,
        })
    }

    fn __call__<'py>(&self, record: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyBytes>> {
        let mut out = Vec::with_capacity(128);
        self.write(self.root, record, &mut out)?;
        Ok(PyBytes::new(record.py(), &out))
    }
}

/// The Avro long: a zigzag varint.
#[pyfunction]
fn long_bytes<'py>(n: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyBytes>> {
    let mut out = Vec::with_capacity(10);
    put_long(&mut out, as_long(n)?);
    Ok(PyBytes::new(n.py(), &out))
}

/// The Avro string: its UTF-8 length, then its bytes.
#[pyfunction]
fn string_bytes<'py>(s: &Bound<'py, PyString>) -> PyResult<Bound<'py, PyBytes>> {
    let b = s.to_str()?.as_bytes();
    let mut out = Vec::with_capacity(b.len() + 2);
    put_bytes(&mut out, b);
    Ok(PyBytes::new(s.py(), &out))
}

/// An Avro array of items already encoded: one block (count, items), then the end (0).
#[pyfunction]
fn array_bytes<'py>(items: &Bound<'py, PyList>) -> PyResult<Bound<'py, PyBytes>> {
    let py = items.py();
    if items.len() == 0 {
        return Ok(PyBytes::new(py, b"\x00"));
    }
    let mut parts = Vec::with_capacity(items.len());
    let mut size = 11;
    for x in items.iter() {
        let b = x.cast_into::<PyBytes>()?;
        size += b.as_bytes().len();
        parts.push(b);
    }
    let mut out = Vec::with_capacity(size);
    put_long(&mut out, parts.len() as i64);
    for b in &parts {
        out.extend_from_slice(b.as_bytes());
    }
    out.push(0);
    Ok(PyBytes::new(py, &out))
}

#[pymodule]
fn brokerage_native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Writer>()?;
    m.add_class::<memo::Memo>()?;
    m.add_class::<reader::Reader>()?;
    m.add_class::<records::Copier>()?;
    m.add_class::<records::Filler>()?;
    m.add_function(wrap_pyfunction!(records::slot_offsets, m)?)?;
    m.add_function(wrap_pyfunction!(memo::strings_array, m)?)?;
    m.add_function(wrap_pyfunction!(long_bytes, m)?)?;
    m.add_function(wrap_pyfunction!(string_bytes, m)?)?;
    m.add_function(wrap_pyfunction!(array_bytes, m)?)?;
    Ok(())
}
