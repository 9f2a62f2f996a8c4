//! The guest-local document of ABI 1.1's `process_batch`.
//!
//! In a batch the host hands over whole documents as JSON text, and the SDK
//! serves `get_field`/`put_field`/`remove_field` itself, from a [`LocalDoc`],
//! with exactly the host's path rules and statuses (`ingesthost/document.py`,
//! `ingesthost/abi.py`, `abi_spec/ABI.md`, *Field paths*).
//!
//! # Representation
//!
//! Parsing builds a tree that borrows from the input text: string and number
//! values are spans of their raw JSON text (escapes kept as written), object
//! keys are spans too and are only unescaped (into the arena) when they hold
//! a backslash. Nodes are small `Copy` values; the children of every object
//! and array are one contiguous run of a shared vector (`members`, `elems`),
//! described by a [`List`] (start, length, capacity). Text added while the
//! document is processed (put values, new keys, unescaped keys) goes into the
//! `arena`. A span's offset below `input.len()` is in the input, at or above
//! it in the arena. All buffers are reused from one document to the next, so
//! a warm instance allocates nothing per document (except what `get` hands
//! to the caller).
//!
//! Every container also remembers its original text when that text is
//! already what the serializer would write (compact, no duplicate keys, no
//! number rewritten); a put or remove on a path forgets it for every
//! container on the path. Serializing an untouched subtree is then one copy.
//!
//! # What the host would do, exactly
//!
//! * Paths: UTF-8, split on `.`, no empty segment; `_ingest.<...>` addresses
//!   the metadata object; on a list a segment must be ASCII digits (leading
//!   zeros allowed); get/remove: missing key, index past the end or a path
//!   through a scalar is `NotFound`; put creates missing objects (and
//!   replaces an intermediate `null`), never list elements, fails through a
//!   scalar, and keeps the total nesting at most [`MAX_DEPTH`] (segments of
//!   the key, `_ingest` included, plus levels of the value).
//! * Values are read as orjson reads them: RFC 8259 text with whitespace
//!   around, valid UTF-8, no lone surrogate escape, no control character in
//!   strings, finite numbers only (`1e400` is refused, `1e-400` is 0);
//!   integers beyond the signed/unsigned 64-bit range become floats, written
//!   here with all their digits (`1.8446744073709551616e19`), which the host
//!   reads as the same float; duplicate keys keep the first position and the
//!   last value, as a Python dict does.
//! * `get` returns the value's JSON text. Raw spans are returned as they were
//!   written, so the *value* is the host's but the *spelling* may differ from
//!   the text the 1.0 host (orjson) would produce: `1.50` rather than `1.5`,
//!   `"\u00e9"` rather than `"é"`, `1.0e2` rather than `100.0`.

use crate::json::ParseError;
use crate::types::Status;

/// Deepest nesting of objects and arrays a document may reach, as on the
/// host (`ingesthost/document.py`, `MAX_DEPTH`): the host cannot write deeper
/// documents. A document parses only within it; a put beyond it is
/// `InvalidArgument`.
pub const MAX_DEPTH: usize = 254;

/// Buffers that grew beyond this many elements during a batch are freed at
/// its end, so one huge document does not pin its memory for the life of
/// the instance.
const KEEP_CAPACITY_BYTES: usize = 4 << 20;

/// A piece of text: `off` below the input's length is in the input, at or
/// above it in the arena (at `off - input.len()`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Span {
    off: u32,
    len: u32,
}

/// No text. Never a container's real text (at least `{}`), so a container
/// whose `text` is this one has to be serialized member by member.
const NO_TEXT: Span = Span { off: 0, len: 0 };

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Node {
    Null,
    True,
    False,
    /// The number's JSON text.
    Num(Span),
    /// The string's JSON text between the quotes, escapes as written.
    Str(Span),
    /// Index into `lists`; the elements are in `elems`.
    Arr(u32),
    /// Index into `lists`; the members are in `members`.
    Obj(u32),
}

#[derive(Clone, Copy, Debug)]
struct Member {
    /// The key, unescaped.
    key: Span,
    /// Whether the key must be escaped when written (holds `"`, `\` or a
    /// control character).
    escape: bool,
    value: Node,
}

/// What an unloaded document's input points to.
const EMPTY: &[u8] = &[];

const FILLER: Member = Member { key: NO_TEXT, escape: false, value: Node::Null };

/// The children of one container: `members[start..start + len]` (objects) or
/// `elems[start..start + len]` (arrays); slots up to `start + cap` are
/// reserved for it.
#[derive(Clone, Copy, Debug)]
struct List {
    start: u32,
    len: u32,
    cap: u32,
    /// The container's original text when it can be copied as is, else `NO_TEXT`.
    text: Span,
}

/// A value to put: JSON text (checked and parsed), or a string (escaped).
enum PutValue<'v> {
    Json(&'v [u8]),
    Str(&'v str),
}

/// Lengths of the growing buffers, to undo a failed put.
#[derive(Clone, Copy)]
struct Mark {
    arena: usize,
    lists: usize,
    members: usize,
    elems: usize,
}

/// One document of a batch, with its `_ingest` metadata.
pub(crate) struct LocalDoc {
    /// The batch's input (see [`LocalDoc::load`]): `input_len` bytes at
    /// `input_ptr`, read through [`LocalDoc::input`].
    input_ptr: *const u8,
    input_len: usize,
    arena: Vec<u8>,
    lists: Vec<List>,
    members: Vec<Member>,
    elems: Vec<Node>,
    /// Children of the containers being parsed, moved to `members`/`elems`
    /// (contiguously) when their container closes.
    scratch_members: Vec<Member>,
    scratch_elems: Vec<Node>,
    /// Hash table of a big object's keys (member indices), to find duplicates.
    scratch_table: Vec<u32>,
    /// The document's root object (a `lists` index); meaningful once loaded.
    source: u32,
    /// Length of the document's text as loaded.
    source_len: usize,
    /// The metadata's root object, parsed from `meta_text` on first use.
    meta: Option<u32>,
    meta_text: Span,
    source_changed: bool,
    meta_changed: bool,
}

impl LocalDoc {
    /// An empty holder (no document loaded yet).
    pub(crate) const fn new() -> LocalDoc {
        LocalDoc {
            input_ptr: EMPTY.as_ptr(),
            input_len: 0,
            arena: Vec::new(),
            lists: Vec::new(),
            members: Vec::new(),
            elems: Vec::new(),
            scratch_members: Vec::new(),
            scratch_elems: Vec::new(),
            scratch_table: Vec::new(),
            source: 0,
            source_len: 0,
            meta: None,
            meta_text: NO_TEXT,
            source_changed: false,
            meta_changed: false,
        }
    }

    /// Forgets the current document and parses the JSON object at
    /// `input[source]`; `_ingest.*` paths will address the object at
    /// `input[meta]` (parsed now if `parse_meta`, else on first use; an empty
    /// range stands for `{}`). On error nothing is loaded.
    ///
    /// # Safety
    /// The document borrows from `input` without a lifetime (it lives in a
    /// global between the field calls of user code): `input` must stay alive
    /// and unchanged until [`LocalDoc::unload`] or the next `load`, and no
    /// other method may be called after `input` is gone.
    pub(crate) unsafe fn load(
        &mut self,
        input: &[u8],
        source: (usize, usize),
        meta: (usize, usize),
        parse_meta: bool,
    ) -> Result<(), ParseError> {
        self.clear();
        self.input_ptr = input.as_ptr();
        self.input_len = input.len();
        let loaded = self.parse_object(source).and_then(|root| {
            self.source = root;
            self.source_len = source.1 - source.0;
            self.meta_text = Span { off: meta.0 as u32, len: (meta.1 - meta.0) as u32 };
            if parse_meta && meta.1 > meta.0 {
                self.meta = Some(self.parse_object(meta)?);
            }
            Ok(())
        });
        if loaded.is_err() {
            self.unload();
        }
        loaded
    }

    /// Whether `input[range]` is a JSON object the documents could be loaded
    /// with (as metadata); leaves nothing loaded.
    pub(crate) fn check_object(&mut self, input: &[u8], range: (usize, usize)) -> Result<(), ParseError> {
        // SAFETY: the input is forgotten again before returning.
        let result = unsafe { self.load(input, range, (0, 0), false) };
        self.unload();
        result
    }

    /// Forgets the document (and the input it borrowed).
    pub(crate) fn unload(&mut self) {
        self.clear();
        self.input_ptr = EMPTY.as_ptr();
        self.input_len = 0;
    }

    /// The input the document was loaded from.
    #[inline(always)]
    fn input(&self) -> &'static [u8] {
        // SAFETY: `load`'s contract: the input is alive and unchanged while
        // a document is loaded; otherwise this is the empty slice. The
        // lifetime is the caller's to respect (the parser holds the slice
        // while it writes into the document's buffers, never past `load`).
        unsafe { std::slice::from_raw_parts(self.input_ptr, self.input_len) }
    }

    fn clear(&mut self) {
        self.arena.clear();
        self.lists.clear();
        self.members.clear();
        self.elems.clear();
        self.scratch_members.clear();
        self.scratch_elems.clear();
        self.source = 0;
        self.source_len = 0;
        self.meta = None;
        self.meta_text = NO_TEXT;
        self.source_changed = false;
        self.meta_changed = false;
    }

    /// Frees buffers that one big document made big (call between batches).
    pub(crate) fn trim(&mut self) {
        fn trim<T>(v: &mut Vec<T>) {
            if v.capacity() * std::mem::size_of::<T>() > KEEP_CAPACITY_BYTES {
                *v = Vec::new();
            }
        }
        self.unload();
        trim(&mut self.arena);
        trim(&mut self.lists);
        trim(&mut self.members);
        trim(&mut self.elems);
        trim(&mut self.scratch_members);
        trim(&mut self.scratch_elems);
        trim(&mut self.scratch_table);
    }

    /// Whether a put or remove succeeded on the document (not its metadata).
    pub(crate) fn source_changed(&self) -> bool {
        self.source_changed
    }

    /// Whether a put or remove succeeded on the `_ingest` metadata.
    pub(crate) fn meta_changed(&self) -> bool {
        self.meta_changed
    }

    /// Appends the document as compact JSON.
    pub(crate) fn write_source(&self, out: &mut Vec<u8>) {
        // Enough for the document as loaded plus what was added, mostly.
        out.reserve(self.source_len + self.arena.len() + 16);
        self.write(Node::Obj(self.source), out);
    }

    /// Appends the metadata as compact JSON.
    pub(crate) fn write_meta(&self, out: &mut Vec<u8>) {
        match self.meta {
            Some(h) => self.write(Node::Obj(h), out),
            None if self.meta_text.len == 0 => out.extend_from_slice(b"{}"),
            None => out.extend_from_slice(self.text(self.meta_text)),
        }
    }

    // ------------------------------------------------------------ field calls

    /// `elastic_get_field`: the value's JSON text, or `NotFound` / `InvalidArgument`.
    pub(crate) fn get(&mut self, key: &[u8]) -> Result<Vec<u8>, Status> {
        check_key(key)?;
        let (root, path, _) = self.root(key)?;
        match self.walk(Node::Obj(root), path, false)? {
            Some(node) => {
                let mut out = Vec::with_capacity(self.size_hint(node));
                self.write(node, &mut out);
                Ok(out)
            }
            None => Err(Status::NotFound),
        }
    }

    /// `elastic_put_field`: sets the field at `key` to the JSON `value`.
    pub(crate) fn put(&mut self, key: &[u8], value: &[u8]) -> Status {
        status_of(self.try_put(key, PutValue::Json(value)))
    }

    /// As [`LocalDoc::put`] with the JSON string literal of `value`, without
    /// building and re-reading that text.
    pub(crate) fn put_str(&mut self, key: &[u8], value: &str) -> Status {
        status_of(self.try_put(key, PutValue::Str(value)))
    }

    /// `elastic_remove_field`: `Ok`, `NotFound` or `InvalidArgument`.
    pub(crate) fn remove(&mut self, key: &[u8]) -> Status {
        match self.try_remove(key) {
            Ok(true) => Status::Ok,
            Ok(false) => Status::NotFound,
            Err(status) => status,
        }
    }

    fn try_put(&mut self, key: &[u8], value: PutValue<'_>) -> Result<(), Status> {
        let segments = check_key(key)?;
        // Even a scalar adds no level, but the path alone may be too deep.
        if segments > MAX_DEPTH {
            return Err(Status::InvalidArgument);
        }
        let (root, path, is_meta) = self.root(key)?;
        let mark = self.mark();
        let node = match value {
            PutValue::Json(text) => match self.parse_value(text, MAX_DEPTH - segments) {
                Ok(node) => node,
                Err(_) => {
                    self.rollback(mark);
                    return Err(Status::InvalidArgument);
                }
            },
            PutValue::Str(s) => {
                let start = self.arena.len();
                escape_into(&mut self.arena, s.as_bytes());
                Node::Str(self.arena_span(start))
            }
        };
        match self.set_path(root, path, node) {
            Ok(()) => {
                self.changed(is_meta);
                Ok(())
            }
            Err(status) => {
                self.rollback(mark);
                Err(status)
            }
        }
    }

    fn try_remove(&mut self, key: &[u8]) -> Result<bool, Status> {
        check_key(key)?;
        let (root, path, is_meta) = self.root(key)?;
        let (parent, last) = match path.iter().rposition(|&c| c == b'.') {
            Some(dot) => match self.walk(Node::Obj(root), &path[..dot], true)? {
                Some(parent) => (parent, &path[dot + 1..]),
                None => return Ok(false),
            },
            None => (Node::Obj(root), path),
        };
        let removed = match parent {
            Node::Obj(h) => match self.find(h, last) {
                Some(i) => {
                    self.remove_member(h, i);
                    true
                }
                None => false,
            },
            Node::Arr(h) => {
                let i = index(last)?;
                if i < self.lists[h as usize].len as usize {
                    self.remove_elem(h, i);
                    true
                } else {
                    false
                }
            }
            _ => false,
        };
        if removed {
            self.changed(is_meta);
        }
        Ok(removed)
    }

    fn changed(&mut self, is_meta: bool) {
        if is_meta {
            self.meta_changed = true;
        } else {
            self.source_changed = true;
        }
    }

    /// Where a (checked) key starts: `_ingest.<path>` in the metadata, the
    /// rest in the document. The key `_ingest` alone is the document's field.
    fn root<'k>(&mut self, key: &'k [u8]) -> Result<(u32, &'k [u8], bool), Status> {
        const PREFIX: &[u8] = b"_ingest.";
        if key.starts_with(PREFIX) {
            // The key is checked: something non-empty follows the dot.
            Ok((self.meta_root()?, &key[PREFIX.len()..], true))
        } else {
            Ok((self.source, key, false))
        }
    }

    fn meta_root(&mut self) -> Result<u32, Status> {
        if let Some(h) = self.meta {
            return Ok(h);
        }
        let h = if self.meta_text.len == 0 {
            self.new_list(true, 0)
        } else {
            let off = self.meta_text.off as usize;
            // Checked (batch metadata) or parsed (own metadata) at load: cannot fail.
            self.parse_object((off, off + self.meta_text.len as usize)).map_err(|_| Status::InternalFailure)?
        };
        self.meta = Some(h);
        Ok(h)
    }

    /// Follows `path` (a checked path, possibly empty: then `node` itself)
    /// down from `node`: the node reached, `None` where the path leaves the
    /// document, `InvalidArgument` for a segment that is not an index on a
    /// list. With `dirty`, every container passed forgets its original text
    /// (something below it is about to change).
    fn walk(&mut self, mut node: Node, path: &[u8], dirty: bool) -> Result<Option<Node>, Status> {
        if path.is_empty() {
            return Ok(Some(node));
        }
        for segment in path.split(|&c| c == b'.') {
            node = match node {
                Node::Obj(h) => {
                    if dirty {
                        self.lists[h as usize].text = NO_TEXT;
                    }
                    match self.find(h, segment) {
                        Some(i) => self.members[i].value,
                        None => return Ok(None),
                    }
                }
                Node::Arr(h) => {
                    if dirty {
                        self.lists[h as usize].text = NO_TEXT;
                    }
                    let i = index(segment)?;
                    let list = self.lists[h as usize];
                    if i >= list.len as usize {
                        return Ok(None);
                    }
                    self.elems[list.start as usize + i]
                }
                _ => return Ok(None),
            };
        }
        Ok(Some(node))
    }

    /// The put rules of `IngestDocument.put_path`. Changes nothing unless it
    /// succeeds (the containers passed only forget their original text).
    fn set_path(&mut self, root: u32, path: &[u8], value: Node) -> Result<(), Status> {
        let mut node = Node::Obj(root);
        let mut rest = path;
        while let Some(dot) = rest.iter().position(|&c| c == b'.') {
            let (segment, tail) = (&rest[..dot], &rest[dot + 1..]);
            node = match node {
                Node::Obj(h) => {
                    self.lists[h as usize].text = NO_TEXT;
                    match self.find(h, segment) {
                        Some(i) if self.members[i].value != Node::Null => self.members[i].value,
                        found => {
                            // Everything from here down is new (a missing key,
                            // or a null that becomes an object). The member
                            // first: a run that ends the vector grows in place.
                            let i = match found {
                                Some(i) => i,
                                None => self.push_member(h, segment, Node::Null),
                            };
                            let built = self.build(tail, value);
                            self.members[i].value = built;
                            return Ok(());
                        }
                    }
                }
                Node::Arr(h) => {
                    self.lists[h as usize].text = NO_TEXT;
                    let i = index(segment)?;
                    let list = self.lists[h as usize];
                    if i >= list.len as usize {
                        return Err(Status::InvalidArgument);
                    }
                    self.elems[list.start as usize + i]
                }
                _ => return Err(Status::InvalidArgument),
            };
            rest = tail;
        }
        match node {
            Node::Obj(h) => {
                self.lists[h as usize].text = NO_TEXT;
                match self.find(h, rest) {
                    Some(i) => self.members[i].value = value,
                    None => {
                        self.push_member(h, rest, value);
                    }
                }
                Ok(())
            }
            Node::Arr(h) => {
                let i = index(rest)?;
                let list = self.lists[h as usize];
                if i >= list.len as usize {
                    return Err(Status::InvalidArgument);
                }
                self.lists[h as usize].text = NO_TEXT;
                self.elems[list.start as usize + i] = value;
                Ok(())
            }
            _ => Err(Status::InvalidArgument),
        }
    }

    /// `{a: {b: value}}` for the path `a.b`.
    fn build(&mut self, path: &[u8], value: Node) -> Node {
        let mut node = value;
        for segment in path.rsplit(|&c| c == b'.') {
            let member = self.new_member(segment, node);
            let h = self.new_list(true, 1);
            let start = self.lists[h as usize].start as usize;
            self.members[start] = member;
            node = Node::Obj(h);
        }
        node
    }

    /// A member whose key is a copy of `key` (a path segment: checked UTF-8).
    fn new_member(&mut self, key: &[u8], value: Node) -> Member {
        let start = self.arena.len();
        self.arena.extend_from_slice(key);
        Member { key: self.arena_span(start), escape: needs_escape(key), value }
    }

    /// A new, empty-but-for-filler container with room for `cap` children
    /// (filled with `FILLER`/`Null` and counted as its length).
    fn new_list(&mut self, object: bool, len: usize) -> u32 {
        let start = if object {
            let start = self.members.len();
            self.members.resize(start + len, FILLER);
            start
        } else {
            let start = self.elems.len();
            self.elems.resize(start + len, Node::Null);
            start
        };
        self.lists.push(List { start: start as u32, len: len as u32, cap: len as u32, text: NO_TEXT });
        (self.lists.len() - 1) as u32
    }

    /// Appends a member to object `h`, growing its run in place when it ends
    /// the vector, else moving it to the end with room to spare. Returns the
    /// member's index in `members`.
    fn push_member(&mut self, h: u32, key: &[u8], value: Node) -> usize {
        let member = self.new_member(key, value);
        let list = &mut self.lists[h as usize];
        list.text = NO_TEXT;
        let (start, len, cap) = (list.start as usize, list.len as usize, list.cap as usize);
        if len < cap {
            self.members[start + len] = member;
        } else if start + cap == self.members.len() {
            self.members.push(member);
            list.cap += 1;
        } else {
            let new_start = self.members.len();
            let new_cap = (2 * len).max(4);
            self.members.extend_from_within(start..start + len);
            self.members.push(member);
            self.members.resize(new_start + new_cap, FILLER);
            list.start = new_start as u32;
            list.cap = new_cap as u32;
        }
        list.len += 1;
        (list.start + list.len - 1) as usize
    }

    fn remove_member(&mut self, h: u32, i: usize) {
        let list = &mut self.lists[h as usize];
        list.text = NO_TEXT;
        let end = (list.start + list.len) as usize;
        list.len -= 1;
        self.members.copy_within(i + 1..end, i);
    }

    fn remove_elem(&mut self, h: u32, i: usize) {
        let list = &mut self.lists[h as usize];
        list.text = NO_TEXT;
        let start = list.start as usize;
        let end = start + list.len as usize;
        list.len -= 1;
        self.elems.copy_within(start + i + 1..end, start + i);
    }

    /// The index in `members` of object `h`'s member named `key`.
    fn find(&self, h: u32, key: &[u8]) -> Option<usize> {
        let list = self.lists[h as usize];
        let start = list.start as usize;
        let members = &self.members[start..start + list.len as usize];
        members.iter().position(|m| m.key.len as usize == key.len() && self.text(m.key) == key).map(|i| start + i)
    }

    fn mark(&self) -> Mark {
        Mark { arena: self.arena.len(), lists: self.lists.len(), members: self.members.len(), elems: self.elems.len() }
    }

    fn rollback(&mut self, mark: Mark) {
        self.arena.truncate(mark.arena);
        self.lists.truncate(mark.lists);
        self.members.truncate(mark.members);
        self.elems.truncate(mark.elems);
        self.scratch_members.clear();
        self.scratch_elems.clear();
    }

    /// Merges the members of `scratch_members[first..]` (an object being
    /// parsed) that have the same key, as a Python dict does: the first
    /// position, the last value. With a hash table, for big objects. True if
    /// there were duplicates.
    #[cold]
    fn remove_duplicates(&mut self, first: usize) -> bool {
        let n = self.scratch_members.len() - first;
        let mask = (2 * n).next_power_of_two() - 1;
        let mut table = std::mem::take(&mut self.scratch_table);
        table.clear();
        table.resize(mask + 1, u32::MAX);
        let mut found = false;
        for i in first..self.scratch_members.len() {
            let key = self.scratch_members[i].key;
            let mut slot = fnv1a(self.text(key)) as usize & mask;
            // Linear probing: an empty slot, or the first member with this key.
            while let Some(&j) = table.get(slot).filter(|&&j| j != u32::MAX) {
                let earlier = self.scratch_members[j as usize].key;
                if earlier.len == key.len && self.text(earlier) == self.text(key) {
                    self.scratch_members[j as usize].value = self.scratch_members[i].value;
                    self.scratch_members[i].key.len = u32::MAX; // merged
                    found = true;
                    break;
                }
                slot = (slot + 1) & mask;
            }
            if self.scratch_members[i].key.len != u32::MAX {
                table[slot] = i as u32;
            }
        }
        if found {
            let mut to = first;
            for from in first..self.scratch_members.len() {
                if self.scratch_members[from].key.len != u32::MAX {
                    self.scratch_members[to] = self.scratch_members[from];
                    to += 1;
                }
            }
            self.scratch_members.truncate(to);
        }
        self.scratch_table = table;
        found
    }

    // ------------------------------------------------------------ text

    #[inline]
    fn text(&self, span: Span) -> &[u8] {
        let off = span.off as usize;
        let end = off + span.len as usize;
        let n = self.input_len;
        if off < n {
            &self.input()[off..end]
        } else {
            &self.arena[off - n..end - n]
        }
    }

    /// The span of `arena[start..]`.
    fn arena_span(&self, start: usize) -> Span {
        // Input and arena are both in (wasm32) memory: the sum fits in u32.
        Span { off: (self.input_len + start) as u32, len: (self.arena.len() - start) as u32 }
    }

    // ------------------------------------------------------------ parsing

    /// Parses `input[range]` (a JSON object, whitespace around allowed).
    fn parse_object(&mut self, range: (usize, usize)) -> Result<u32, ParseError> {
        let input = self.input();
        let text = input.get(range.0..range.1).ok_or(ParseError { pos: 0, msg: "out of bounds" })?;
        // No UTF-8 check here: only string contents may hold bytes above
        // 0x7f, and the parser checks them there.
        let mut p = Parser::new(text, range.0, MAX_DEPTH, self);
        let root = match text.iter().position(|&c| !matches!(c, b' ' | b'\t' | b'\n' | b'\r')) {
            Some(at) if text[at] == b'{' => p.document(),
            _ => Err(p.fail("expected an object")),
        };
        let error = p.error.clone();
        match root {
            Ok(Node::Obj(h)) => Ok(h),
            _ => {
                self.scratch_members.clear();
                self.scratch_elems.clear();
                Err(error)
            }
        }
    }

    /// Parses a put value: copied to the arena first, so that its spans stay
    /// valid after the caller's buffer is gone; at most `max_depth` levels.
    fn parse_value(&mut self, value: &[u8], max_depth: usize) -> Result<Node, ParseError> {
        let start = self.arena.len();
        self.arena.extend_from_slice(value);
        let base = self.input_len + start;
        let mut p = Parser::new(value, base, max_depth, self);
        let node = p.document();
        node.map_err(|_| p.error.clone())
    }

    // ------------------------------------------------------------ writing

    /// Bytes `node` takes as JSON when that is cheap to know, else a guess.
    fn size_hint(&self, node: Node) -> usize {
        match node {
            Node::Num(s) => s.len as usize,
            Node::Str(s) => s.len as usize + 2,
            Node::Arr(h) | Node::Obj(h) => match self.lists[h as usize].text {
                NO_TEXT => 64,
                text => text.len as usize,
            },
            _ => 5,
        }
    }

    /// Appends `node` as compact JSON.
    #[inline]
    fn write(&self, node: Node, out: &mut Vec<u8>) {
        match node {
            Node::Null => push_bytes(out, b"null"),
            Node::True => push_bytes(out, b"true"),
            Node::False => push_bytes(out, b"false"),
            Node::Num(s) => push_bytes(out, self.text(s)),
            Node::Str(s) => push_quoted(out, self.text(s)),
            Node::Arr(h) => self.write_array(h, out),
            Node::Obj(h) => self.write_object(h, out),
        }
    }

    fn write_array(&self, h: u32, out: &mut Vec<u8>) {
        let list = self.lists[h as usize];
        if list.text != NO_TEXT {
            return push_bytes(out, self.text(list.text));
        }
        out.push(b'[');
        let start = list.start as usize;
        for (i, &elem) in self.elems[start..start + list.len as usize].iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            self.write(elem, out);
        }
        out.push(b']');
    }

    fn write_object(&self, h: u32, out: &mut Vec<u8>) {
        let list = self.lists[h as usize];
        if list.text != NO_TEXT {
            return push_bytes(out, self.text(list.text));
        }
        out.push(b'{');
        let start = list.start as usize;
        for (i, member) in self.members[start..start + list.len as usize].iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            let key = self.text(member.key);
            if member.escape {
                out.push(b'"');
                escape_into(out, key);
                out.push(b'"');
            } else {
                push_quoted(out, key);
            }
            out.push(b':');
            self.write(member.value, out);
        }
        out.push(b'}');
    }
}

/// Appends `s`; short pieces without a call to `memcpy`.
#[inline(always)]
fn push_bytes(out: &mut Vec<u8>, s: &[u8]) {
    out.reserve(s.len());
    let len = out.len();
    // SAFETY: `s.len()` bytes past `len` are reserved, and `s` (the input,
    // the arena or a constant) is not `out`.
    unsafe {
        copy_short(s.as_ptr(), out.as_mut_ptr().add(len), s.len());
        out.set_len(len + s.len());
    }
}

/// Appends `"`, `s`, `"`.
#[inline(always)]
fn push_quoted(out: &mut Vec<u8>, s: &[u8]) {
    out.reserve(s.len() + 2);
    let len = out.len();
    // SAFETY: as in `push_bytes`, with the two quotes.
    unsafe {
        let dst = out.as_mut_ptr().add(len);
        *dst = b'"';
        copy_short(s.as_ptr(), dst.add(1), s.len());
        *dst.add(s.len() + 1) = b'"';
        out.set_len(len + s.len() + 2);
    }
}

/// Copies `n` bytes from `src` to `dst` (not overlapping): short copies as
/// two overlapping loads and stores.
///
/// # Safety
/// `src` readable and `dst` writable for `n` bytes; no overlap.
#[inline(always)]
unsafe fn copy_short(src: *const u8, dst: *mut u8, n: usize) {
    use std::ptr::{read_unaligned, write_unaligned};
    if n >= 16 {
        std::ptr::copy_nonoverlapping(src, dst, n);
    } else if n >= 8 {
        let (head, tail) = (read_unaligned(src as *const u64), read_unaligned(src.add(n - 8) as *const u64));
        write_unaligned(dst as *mut u64, head);
        write_unaligned(dst.add(n - 8) as *mut u64, tail);
    } else if n >= 4 {
        let (head, tail) = (read_unaligned(src as *const u32), read_unaligned(src.add(n - 4) as *const u32));
        write_unaligned(dst as *mut u32, head);
        write_unaligned(dst.add(n - 4) as *mut u32, tail);
    } else if n > 0 {
        *dst = *src;
        *dst.add(n / 2) = *src.add(n / 2);
        *dst.add(n - 1) = *src.add(n - 1);
    }
}

fn status_of(result: Result<(), Status>) -> Status {
    match result {
        Ok(()) => Status::Ok,
        Err(status) => status,
    }
}

/// Checks a key as the host does (`parse_path`, after UTF-8 decoding): not
/// empty, UTF-8, no empty segment. Returns the number of segments.
fn check_key(key: &[u8]) -> Result<usize, Status> {
    if key.is_empty() || (!key.is_ascii() && std::str::from_utf8(key).is_err()) {
        return Err(Status::InvalidArgument);
    }
    let mut segments = 1;
    let mut after_dot = true; // a leading dot makes an empty first segment
    for &c in key {
        if c == b'.' {
            if after_dot {
                return Err(Status::InvalidArgument);
            }
            segments += 1;
            after_dot = true;
        } else {
            after_dot = false;
        }
    }
    if after_dot {
        return Err(Status::InvalidArgument);
    }
    Ok(segments)
}

/// A list index: ASCII digits only (`str.isdigit() and str.isascii()` in the
/// host), leading zeros allowed; saturates (past the end of any list).
fn index(segment: &[u8]) -> Result<usize, Status> {
    let mut i: usize = 0;
    for &c in segment {
        if !c.is_ascii_digit() {
            return Err(Status::InvalidArgument);
        }
        i = i.saturating_mul(10).saturating_add((c - b'0') as usize);
    }
    Ok(i)
}

/// Whether `s` needs escaping inside a JSON string literal.
fn needs_escape(s: &[u8]) -> bool {
    s.iter().any(|&c| c == b'"' || c == b'\\' || c < 0x20)
}

/// Appends `s` (UTF-8) escaped for a JSON string literal, without quotes:
/// `"`, `\` and control characters (`\n`, `\t`, ... or `\u00XX`).
fn escape_into(out: &mut Vec<u8>, s: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.reserve(s.len());
    let mut start = 0;
    for (i, &c) in s.iter().enumerate() {
        let short = match c {
            b'"' => b'"',
            b'\\' => b'\\',
            b'\n' => b'n',
            b'\r' => b'r',
            b'\t' => b't',
            0x08 => b'b',
            0x0c => b'f',
            0x00..=0x1f => 0,
            _ => continue,
        };
        out.extend_from_slice(&s[start..i]);
        if short == 0 {
            out.extend_from_slice(&[b'\\', b'u', b'0', b'0', HEX[(c >> 4) as usize], HEX[(c & 0xf) as usize]]);
        } else {
            out.extend_from_slice(&[b'\\', short]);
        }
        start = i + 1;
    }
    out.extend_from_slice(&s[start..]);
}

/// The value of the four hex digits at `b[at..at + 4]`.
fn hex4(b: &[u8], at: usize) -> Option<u32> {
    let digits = b.get(at..at + 4)?;
    let mut v = 0;
    for &c in digits {
        v = v * 16 + (c as char).to_digit(16)?;
    }
    Some(v)
}

/// Appends the text a (checked) JSON string literal's content stands for.
fn unescape_into(out: &mut Vec<u8>, raw: &[u8]) {
    let mut i = 0;
    while i < raw.len() {
        let run = raw[i..].iter().position(|&c| c == b'\\').unwrap_or(raw.len() - i);
        out.extend_from_slice(&raw[i..i + run]);
        i += run;
        if i >= raw.len() {
            break;
        }
        let c = match raw.get(i + 1) {
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                let hi = hex4(raw, i + 2).unwrap_or(0xfffd);
                i += 4;
                let code = if (0xD800..0xDC00).contains(&hi) {
                    let lo = hex4(raw, i + 4).unwrap_or(0xDC00);
                    i += 6;
                    0x10000 + ((hi - 0xD800) << 10) + (lo.wrapping_sub(0xDC00) & 0x3ff)
                } else {
                    hi
                };
                char::from_u32(code).unwrap_or('\u{fffd}')
            }
            Some(&other) => other as char, // '"', '\\', '/'
            None => break,
        };
        let mut buf = [0; 4];
        out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
        i += 2;
    }
}

/// Whether a number with these integer and fraction digits and this
/// exponent is finite as a 64-bit float (orjson refuses the others):
/// below 10^308 surely, from 10^309 surely not, in between compared with the
/// smallest value that rounds to infinity, 2^1024 - 2^970.
fn is_finite(int: &[u8], frac: &[u8], exponent: i64) -> bool {
    // value = 0.<significant digits> × 10^magnitude
    let int_zeros = int.iter().take_while(|&&c| c == b'0').count();
    let (significant, magnitude): (&[u8], i64) = if int_zeros < int.len() {
        (&int[int_zeros..], (int.len() - int_zeros) as i64)
    } else {
        let frac_zeros = frac.iter().take_while(|&&c| c == b'0').count();
        if frac_zeros == frac.len() {
            return true; // zero
        }
        (&[], -(frac_zeros as i64))
    };
    let frac = if significant.is_empty() { &frac[frac.iter().take_while(|&&c| c == b'0').count()..] } else { frac };
    let magnitude = magnitude.saturating_add(exponent);
    if magnitude <= 308 {
        return true;
    }
    if magnitude >= 310 {
        return false;
    }
    let mut digits = significant.iter().chain(frac.iter());
    for &limit in OVERFLOW_DIGITS {
        let d = digits.next().copied().unwrap_or(b'0');
        if d != limit {
            return d < limit;
        }
    }
    false // equal (or larger): rounds to infinity
}

/// The 309 digits of 2^1024 - 2^970, half way between the largest float and
/// 2^1024: from there on (ties to even) a decimal rounds to infinity.
const OVERFLOW_DIGITS: &[u8; 309] = b"179769313486231580793728971405303415079934132710037826936173778980444968292764750946649017977587207096330286416692887910946555547851940402630657488671505820681908902000708383676273854845817711531764475730270069855571366959622842914819860834936475292719074168444365510704342711559699508093042880177904174497792";

/// Whether an integer literal's digits (no sign, no leading zero) fit in
/// the host's integers: -2^63 ..= 2^64 - 1.
fn fits_64(negative: bool, digits: &[u8]) -> bool {
    if digits.len() > 20 {
        return false;
    }
    let mut v: u64 = 0;
    for &c in digits {
        v = match v.checked_mul(10).and_then(|v| v.checked_add((c - b'0') as u64)) {
            Some(v) => v,
            None => return false,
        };
    }
    !negative || v <= 1 << 63
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Bytes of `word` (little-endian) that are `"`, `\`, below 0x20 or above
/// 0x7f (UTF-8 to check) have their high bit set in the result; the lowest
/// one set is always a real one.
#[inline(always)]
fn special_bytes(word: u64) -> u64 {
    let quote = word ^ (ONES * b'"' as u64);
    let backslash = word ^ (ONES * b'\\' as u64);
    let control = word.wrapping_sub(ONES * 0x20);
    ((quote.wrapping_sub(ONES) & !quote) | (backslash.wrapping_sub(ONES) & !backslash) | control | word) & HIGHS
}

/// The length of the UTF-8 sequence at `b[i]` (a byte above 0x7f), or None
/// if it is not one: no overlong form, no surrogate, nothing above U+10FFFF
/// (Unicode's table 3-7, what `std::str::from_utf8` accepts).
#[inline]
fn utf8_sequence(b: &[u8], i: usize) -> Option<usize> {
    let at = |j: usize, lo: u8, hi: u8| matches!(b.get(i + j), Some(&c) if lo <= c && c <= hi);
    let (len, second_lo, second_hi) = match b[i] {
        0xC2..=0xDF => (2, 0x80, 0xBF),
        0xE0 => (3, 0xA0, 0xBF),
        0xE1..=0xEC | 0xEE..=0xEF => (3, 0x80, 0xBF),
        0xED => (3, 0x80, 0x9F),
        0xF0 => (4, 0x90, 0xBF),
        0xF1..=0xF3 => (4, 0x80, 0xBF),
        0xF4 => (4, 0x80, 0x8F),
        _ => return None,
    };
    if at(1, second_lo, second_hi) && (len < 3 || at(2, 0x80, 0xBF)) && (len < 4 || at(3, 0x80, 0xBF)) {
        Some(len)
    } else {
        None
    }
}

/// Objects with more members check for duplicate keys when they close
/// (`LocalDoc::remove_duplicates`) rather than member by member.
const SMALL_OBJECT: u32 = 16;

/// FNV-1a, 64 bits.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &c| (h ^ c as u64).wrapping_mul(0x0000_0100_0000_01b3))
}

/// A key's bit in an object's 64-bit filter of keys seen: only keys with the
/// same bit can be duplicates.
#[inline(always)]
fn key_bit(key: &[u8]) -> u64 {
    let (first, last) = match key {
        [] => (0, 0),
        [first, .., last] => (*first as u32, *last as u32),
        [only] => (*only as u32, *only as u32),
    };
    1u64 << ((key.len() as u32 ^ first.wrapping_mul(5) ^ last.wrapping_mul(17)) & 63)
}

/// Parsing failed; the parser's `error` says where and why. Zero-sized, so
/// that results travel in registers.
struct Fail;

/// A recursive-descent parser writing into a [`LocalDoc`]'s buffers.
struct Parser<'t, 'd> {
    b: &'t [u8],
    /// Span offset of `b[0]`.
    base: usize,
    pos: usize,
    /// Levels of containers allowed.
    max_depth: usize,
    /// Counts what makes a container's text differ from what would be
    /// written (whitespace, a duplicate key, a rewritten number).
    impure: u32,
    /// Where and why parsing failed.
    error: ParseError,
    doc: &'d mut LocalDoc,
}

impl<'t, 'd> Parser<'t, 'd> {
    fn new(b: &'t [u8], base: usize, max_depth: usize, doc: &'d mut LocalDoc) -> Parser<'t, 'd> {
        Parser { b, base, pos: 0, max_depth, impure: 0, error: ParseError { pos: 0, msg: "" }, doc }
    }

    #[cold]
    fn fail_at(&mut self, pos: usize, msg: &'static str) -> Fail {
        self.error = ParseError { pos, msg };
        Fail
    }

    fn fail(&mut self, msg: &'static str) -> Fail {
        self.fail_at(self.pos, msg)
    }

    #[inline(always)]
    fn span(&self, a: usize, b: usize) -> Span {
        Span { off: (self.base + a) as u32, len: (b - a) as u32 }
    }

    #[inline(always)]
    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    #[inline(always)]
    fn ws(&mut self) {
        if let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.skip_ws();
        }
    }

    #[cold]
    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
            self.impure += 1;
        }
    }

    /// The whole text as one JSON value (whitespace around allowed).
    fn document(&mut self) -> Result<Node, Fail> {
        self.ws();
        let node = self.value(0)?;
        self.ws();
        if self.pos != self.b.len() {
            return Err(self.fail("trailing characters"));
        }
        Ok(node)
    }

    #[inline(always)]
    fn value(&mut self, depth: usize) -> Result<Node, Fail> {
        match self.peek() {
            Some(b'"') => {
                let start = self.pos + 1;
                let (end, _) = self.string()?;
                Ok(Node::Str(self.span(start, end)))
            }
            Some(b'{') => self.object(depth).map(Node::Obj),
            Some(b'[') => self.array(depth).map(Node::Arr),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b't') => self.literal(b"true", Node::True),
            Some(b'f') => self.literal(b"false", Node::False),
            Some(b'n') => self.literal(b"null", Node::Null),
            Some(_) => Err(self.fail("unexpected character")),
            None => Err(self.fail("unexpected end of input")),
        }
    }

    fn literal(&mut self, word: &[u8], node: Node) -> Result<Node, Fail> {
        if self.b[self.pos..].starts_with(word) {
            self.pos += word.len();
            Ok(node)
        } else {
            Err(self.fail("invalid literal"))
        }
    }

    /// An object; its index in `lists`.
    fn object(&mut self, depth: usize) -> Result<u32, Fail> {
        if depth >= self.max_depth {
            return Err(self.fail("nesting too deep"));
        }
        let open = self.pos;
        let impure = self.impure;
        let first = self.doc.scratch_members.len();
        // Bits of the keys seen (`key_bit`): only a repeated bit can be a
        // duplicate. Past SMALL_OBJECT members the filter is full of ones,
        // and duplicates are looked for once, when the object closes.
        let mut seen: u64 = 0;
        let mut members = 0;
        self.pos += 1;
        self.ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
        } else {
            loop {
                if self.peek() != Some(b'"') {
                    return Err(self.fail("expected a member name"));
                }
                let (key, escape, bit) = self.key()?;
                self.ws();
                if self.peek() != Some(b':') {
                    return Err(self.fail("expected ':'"));
                }
                self.pos += 1;
                self.ws();
                let value = self.value(depth + 1)?;
                if seen & bit != 0 && members <= SMALL_OBJECT && self.replace_duplicate(first, key, value) {
                    self.impure += 1;
                } else {
                    seen |= bit;
                    members += 1;
                    self.doc.scratch_members.push(Member { key, escape, value });
                }
                self.ws();
                match self.peek() {
                    Some(b',') => {
                        self.pos += 1;
                        self.ws();
                    }
                    Some(b'}') => {
                        self.pos += 1;
                        break;
                    }
                    _ => return Err(self.fail("expected ',' or '}'")),
                }
            }
        }
        if members > SMALL_OBJECT && self.doc.remove_duplicates(first) {
            self.impure += 1;
        }
        let text = if self.impure == impure { self.span(open, self.pos) } else { NO_TEXT };
        let doc = &mut *self.doc;
        let start = doc.members.len();
        doc.members.extend_from_slice(&doc.scratch_members[first..]);
        doc.scratch_members.truncate(first);
        let len = (doc.members.len() - start) as u32;
        doc.lists.push(List { start: start as u32, len, cap: len, text });
        Ok((doc.lists.len() - 1) as u32)
    }

    /// A Python dict keeps a repeated key at its first position with its last
    /// value: true if `key` was already a member (whose value is now `value`).
    #[cold]
    fn replace_duplicate(&mut self, first: usize, key: Span, value: Node) -> bool {
        let doc = &mut *self.doc;
        let name = doc.text(key);
        let found = doc.scratch_members[first..].iter().position(|m| m.key.len == key.len && doc.text(m.key) == name);
        match found {
            Some(i) => {
                doc.scratch_members[first + i].value = value;
                true
            }
            None => false,
        }
    }

    /// An array; its index in `lists`.
    fn array(&mut self, depth: usize) -> Result<u32, Fail> {
        if depth >= self.max_depth {
            return Err(self.fail("nesting too deep"));
        }
        let open = self.pos;
        let impure = self.impure;
        let first = self.doc.scratch_elems.len();
        self.pos += 1;
        self.ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
        } else {
            loop {
                let value = self.value(depth + 1)?;
                self.doc.scratch_elems.push(value);
                self.ws();
                match self.peek() {
                    Some(b',') => {
                        self.pos += 1;
                        self.ws();
                    }
                    Some(b']') => {
                        self.pos += 1;
                        break;
                    }
                    _ => return Err(self.fail("expected ',' or ']'")),
                }
            }
        }
        let text = if self.impure == impure { self.span(open, self.pos) } else { NO_TEXT };
        let doc = &mut *self.doc;
        let start = doc.elems.len();
        doc.elems.extend_from_slice(&doc.scratch_elems[first..]);
        doc.scratch_elems.truncate(first);
        let len = (doc.elems.len() - start) as u32;
        doc.lists.push(List { start: start as u32, len, cap: len, text });
        Ok((doc.lists.len() - 1) as u32)
    }

    /// A member name: its span (of the text unescaped into the arena if it
    /// has escapes), whether it needs escaping when written, its `key_bit`.
    #[inline(always)]
    fn key(&mut self) -> Result<(Span, bool, u64), Fail> {
        let start = self.pos + 1;
        let (end, escaped) = self.string()?;
        if !escaped {
            return Ok((self.span(start, end), false, key_bit(&self.b[start..end])));
        }
        Ok(self.escaped_key(start, end))
    }

    #[cold]
    fn escaped_key(&mut self, start: usize, end: usize) -> (Span, bool, u64) {
        let doc = &mut *self.doc;
        let at = doc.arena.len();
        unescape_into(&mut doc.arena, &self.b[start..end]);
        let key = &doc.arena[at..];
        (doc.arena_span(at), needs_escape(key), key_bit(key))
    }

    /// Checks the string literal whose opening quote is at `pos` and moves
    /// past it: the end of its content, and whether it has escapes.
    #[inline(always)]
    fn string(&mut self) -> Result<(usize, bool), Fail> {
        let b = self.b;
        let mut i = self.pos + 1;
        // Eight bytes at a time to the next quote, backslash or control byte.
        while let Some(chunk) = b.get(i..i + 8) {
            let mut word = [0; 8];
            word.copy_from_slice(chunk);
            let special = special_bytes(u64::from_le_bytes(word));
            if special != 0 {
                i += (special.trailing_zeros() / 8) as usize;
                if b[i] == b'"' {
                    self.pos = i + 1;
                    return Ok((i, false));
                }
                break;
            }
            i += 8;
        }
        self.string_slow(i, false)
    }

    /// The rest of a string from `i`: escapes, UTF-8 sequences, errors and
    /// the last bytes.
    #[cold]
    #[inline(never)]
    fn string_slow(&mut self, mut i: usize, mut escaped: bool) -> Result<(usize, bool), Fail> {
        let b = self.b;
        loop {
            match b.get(i) {
                Some(b'"') => {
                    self.pos = i + 1;
                    return Ok((i, escaped));
                }
                Some(b'\\') => {
                    escaped = true;
                    i = self.escape(i)?;
                }
                Some(0x00..=0x1f) => return Err(self.fail_at(i, "control character in string")),
                Some(0x80..=0xff) => match utf8_sequence(b, i) {
                    Some(len) => i += len,
                    None => return Err(self.fail_at(i, "invalid UTF-8")),
                },
                Some(_) => i += 1,
                None => return Err(self.fail_at(i, "unterminated string")),
            }
            while let Some(chunk) = b.get(i..i + 8) {
                let mut word = [0; 8];
                word.copy_from_slice(chunk);
                let special = special_bytes(u64::from_le_bytes(word));
                if special != 0 {
                    i += (special.trailing_zeros() / 8) as usize;
                    break;
                }
                i += 8;
            }
        }
    }

    /// Checks the escape at `b[i]` (a backslash); returns the index after it.
    fn escape(&mut self, i: usize) -> Result<usize, Fail> {
        let b = self.b;
        match b.get(i + 1) {
            Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => Ok(i + 2),
            Some(b'u') => match hex4(b, i + 2) {
                None => Err(self.fail_at(i, "invalid \\u escape")),
                Some(0xD800..=0xDBFF) => {
                    let low = if b.get(i + 6..i + 8) == Some(b"\\u") { hex4(b, i + 8) } else { None };
                    match low {
                        Some(0xDC00..=0xDFFF) => Ok(i + 12),
                        _ => Err(self.fail_at(i, "lone surrogate")),
                    }
                }
                Some(0xDC00..=0xDFFF) => Err(self.fail_at(i, "lone surrogate")),
                Some(_) => Ok(i + 6),
            },
            _ => Err(self.fail_at(i, "invalid escape")),
        }
    }

    #[inline(always)]
    fn digits_from(&self, mut i: usize) -> usize {
        while let Some(b'0'..=b'9') = self.b.get(i) {
            i += 1;
        }
        i
    }

    #[inline(always)]
    fn number(&mut self) -> Result<Node, Fail> {
        let b = self.b;
        let start = self.pos;
        let negative = b[start] == b'-';
        let int_start = start + negative as usize;
        let int_end = match b.get(int_start) {
            Some(b'0') => int_start + 1,
            Some(b'1'..=b'9') => self.digits_from(int_start + 1),
            _ => return Err(self.fail_at(int_start, "invalid number")),
        };
        match b.get(int_end) {
            Some(b'.' | b'e' | b'E') => self.float(start, int_start, int_end),
            _ if int_end - int_start < 19 => {
                self.pos = int_end;
                Ok(Node::Num(self.span(start, int_end)))
            }
            _ => self.wide_integer(start, negative, int_start, int_end),
        }
    }

    /// A number with a fraction or an exponent; refused if infinite as a
    /// 64-bit float.
    #[inline(never)]
    fn float(&mut self, start: usize, int_start: usize, int_end: usize) -> Result<Node, Fail> {
        let b = self.b;
        let mut i = int_end;
        let mut frac: &[u8] = &[];
        if b.get(i) == Some(&b'.') {
            let end = self.digits_from(i + 1);
            if end == i + 1 {
                return Err(self.fail_at(end, "invalid number"));
            }
            frac = &b[i + 1..end];
            i = end;
        }
        let mut exponent: i64 = 0;
        if let Some(b'e' | b'E') = b.get(i) {
            i += 1;
            let negative_exponent = b.get(i) == Some(&b'-');
            if let Some(b'+' | b'-') = b.get(i) {
                i += 1;
            }
            let end = self.digits_from(i);
            if end == i {
                return Err(self.fail_at(end, "invalid number"));
            }
            for &c in &b[i..end] {
                exponent = exponent.saturating_mul(10).saturating_add((c - b'0') as i64);
            }
            if negative_exponent {
                exponent = -exponent;
            }
            i = end;
        }
        let int = &b[int_start..int_end];
        if (exponent != 0 || int.len() > 308) && !is_finite(int, frac, exponent) {
            return Err(self.fail_at(start, "number out of range"));
        }
        self.pos = i;
        Ok(Node::Num(self.span(start, i)))
    }

    /// An integer of 19 digits or more. Beyond 64 bits the host reads it as a
    /// float: it is then written as a float literal with the same digits
    /// (`-1.2345e29`), read as the same float (never as an integer it refuses).
    #[inline(never)]
    fn wide_integer(&mut self, start: usize, negative: bool, int_start: usize, int_end: usize) -> Result<Node, Fail> {
        let int = &self.b[int_start..int_end];
        if fits_64(negative, int) {
            self.pos = int_end;
            return Ok(Node::Num(self.span(start, int_end)));
        }
        if !is_finite(int, &[], 0) {
            return Err(self.fail_at(start, "number out of range"));
        }
        self.pos = int_end;
        self.impure += 1;
        let doc = &mut *self.doc;
        let at = doc.arena.len();
        if negative {
            doc.arena.push(b'-');
        }
        doc.arena.push(int[0]);
        let rest = &int[1..];
        let kept = rest.len() - rest.iter().rev().take_while(|&&c| c == b'0').count();
        if kept > 0 {
            doc.arena.push(b'.');
            doc.arena.extend_from_slice(&rest[..kept]);
        }
        doc.arena.push(b'e');
        let mut exponent = [0u8; 3]; // at most 308
        let mut e = int.len() - 1;
        let mut n = 0;
        loop {
            exponent[2 - n] = b'0' + (e % 10) as u8;
            n += 1;
            e /= 10;
            if e == 0 {
                break;
            }
        }
        doc.arena.extend_from_slice(&exponent[3 - n..]);
        Ok(Node::Num(doc.arena_span(at)))
    }
}

#[cfg(test)]
mod tests;
