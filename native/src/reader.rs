//! An Avro binary reader compiled from a schema: what fastavro's `schemaless_reader` returns
//! with `return_record_name=True` (records as dicts, a union's named branch as a
//! (name, value) tuple), when the writer's schema is the reader's. Bytes it cannot read
//! raise ValueError, never panic: they come from outside (producers, the broker).

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyList, PyString, PyTuple};

use crate::schema::{Compiler, Node, Record};

fn bad(msg: &str) -> PyErr {
    PyValueError::new_err(msg.to_owned())
}

struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn byte(&mut self) -> PyResult<u8> {
        let b = *self.data.get(self.pos).ok_or_else(|| bad("truncated"))?;
        self.pos += 1;
        Ok(b)
    }

    fn long(&mut self) -> PyResult<i64> {
        let mut z: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            z |= u64::from(b & 0x7F) << shift;
            if b & 0x80 == 0 {
                return Ok((z >> 1) as i64 ^ -((z & 1) as i64));
            }
        }
        Err(bad("a varint longer than 10 bytes"))
    }

    fn take(&mut self) -> PyResult<&[u8]> {
        let n = self.long()?;
        let n = usize::try_from(n).map_err(|_| bad("a negative length"))?;
        let end = self.pos.checked_add(n).filter(|e| *e <= self.data.len());
        let end = end.ok_or_else(|| bad("truncated"))?;
        let out = &self.data[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    fn index(&mut self, len: usize) -> PyResult<usize> {
        usize::try_from(self.long()?)
            .ok()
            .filter(|i| *i < len)
            .ok_or_else(|| bad("an index out of range"))
    }
}

#[pyclass(frozen, module = "brokerage_native")]
pub struct Reader {
    nodes: Vec<Node>,
    records: Vec<Record>,
    root: usize,
}

impl Reader {
    fn read<'py>(
        &self,
        py: Python<'py>,
        idx: usize,
        c: &mut Cursor<'_>,
        depth: u32,
    ) -> PyResult<Bound<'py, PyAny>> {
        if depth > 64 {
            return Err(bad("nested deeper than 64")); // only a recursive schema could
        }
        let depth = depth + 1;
        Ok(match &self.nodes[idx] {
            Node::Null => py.None().into_bound(py),
            Node::Boolean => PyBool::new(py, c.byte()? != 0).to_owned().into_any(),
            Node::Long => c.long()?.into_pyobject(py)?.into_any(),
            Node::Str => {
                let b = c.take()?;
                let s = std::str::from_utf8(b).map_err(|_| bad("a string that is not UTF-8"))?;
                PyString::new(py, s).into_any()
            }
            Node::Bytes => PyBytes::new(py, c.take()?).into_any(),
            Node::Enum { py: symbols, .. } => {
                symbols[c.index(symbols.len())?].bind(py).clone().into_any()
            }
            Node::Union(branches) => {
                let (node, tag) = &branches[c.index(branches.len())?];
                let v = self.read(py, *node, c, depth)?;
                match tag {
                    Some(name) => {
                        PyTuple::new(py, [name.bind(py).clone().into_any(), v])?.into_any()
                    }
                    None => v,
                }
            }
            Node::Array(item) => {
                let list = PyList::empty(py);
                loop {
                    let mut n = c.long()?;
                    if n == 0 {
                        break;
                    }
                    if n < 0 {
                        n = n.checked_neg().ok_or_else(|| bad("a bad block count"))?;
                        c.long()?; // the block's size in bytes: not needed
                    }
                    // Every item we read takes a byte at least: a count beyond the bytes left
                    // is garbage, not a reason to loop.
                    if n as u64 > (c.data.len() - c.pos) as u64 {
                        return Err(bad("a block count beyond the data"));
                    }
                    for _ in 0..n {
                        list.append(self.read(py, *item, c, depth)?)?;
                    }
                }
                list.into_any()
            }
            Node::Record(r) => {
                let d = PyDict::new(py);
                for f in &self.records[*r].fields {
                    d.set_item(f.name.bind(py), self.read(py, f.node, c, depth)?)?;
                }
                d.into_any()
            }
        })
    }
}

#[pymethods]
impl Reader {
    #[new]
    fn new(schema: &Bound<'_, PyDict>) -> PyResult<Self> {
        let (c, root) = Compiler::compile(schema)?;
        for n in &c.nodes {
            if let Node::Array(item) = n {
                if matches!(c.nodes[*item], Node::Null) {
                    return Err(bad("unsupported: an array of nulls")); // items of no bytes
                }
            }
        }
        Ok(Reader {
            nodes: c.nodes,
            records: c.records,
            root,
        })
    }

    /// The value at `data[start:]`, and where it ends.
    #[pyo3(signature = (data, start = 0))]
    fn __call__<'py>(
        &self,
        data: &Bound<'py, PyBytes>,
        start: usize,
    ) -> PyResult<(Bound<'py, PyAny>, usize)> {
        let mut c = Cursor {
            data: data.as_bytes(),
            pos: start,
        };
        if start > c.data.len() {
            return Err(bad("truncated"));
        }
        let v = self.read(data.py(), self.root, &mut c, 0)?;
        Ok((v, c.pos))
    }
}
