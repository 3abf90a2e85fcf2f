package board

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/entraide/entraide/libs/store"
)

// Shards is how many documents a tenant's packed index is split into: a write rewrites one shard (1/64 of the
// tenant's entries, about 25 KB at 20,000 open requests), a reader that has the others in memory reloads that one
// only.
const Shards = 64

// CollStamps holds, per packed index and tenant, the version of each shard and whether the index was built.
const CollStamps = "board_stamps"

// Cache bounds: how many tenants' indexes a process keeps parsed, and how long before a full reload (the bound on
// staleness should a stamp update have been lost).
const (
	cacheTenants = 64
	cacheMaxAge  = 5 * time.Minute
)

// packed is an index kept as a few large documents per tenant instead of one small document per entry: FerretDB
// v1.24 sorts, limits and (on SQLite) filters in Go after decoding every document a query matches, which costs
// about 45 µs a document (20,000 documents ≈ 900 ms on either backend), while one document of 1.6 MB holding the
// same entries as text reads in about 40 ms. Each shard document is
//
//	{_id: "<tenant>|<shard>", tenant, shard, version, entries: "<key>\t<fields…>\n…", log: "<version>\t<key>\n…"}
//
// with one line per entry, keyed by its first field, lines sorted by key. A stamp document per tenant
// ({_id: "<collection>|<tenant>", built, s00…s63: shard versions}) lets a reader keep the parsed index in memory
// and reload only the shards whose version moved: a read costs one small document unless something changed.
// Writes take the document lock and check the shard's version (another process writing the same shard makes the
// write retry), then raise the shard's stamp with $max; a put or delete is idempotent and may be retried. An index
// whose stamp is missing or not built (a tenant never read, or entries written before the first build) is built
// by the reader from the source documents.
//
// Each shard also keeps in log its last version changes (at most logMax lines; an empty key is a rebuild's write),
// written in the same update as the change. A rebuild notes the shards' versions before it reads the source
// documents and, when it writes a shard, keeps the shard's current line of every key set since then (see
// replace). Readers leave the log out of what they read.
type packed struct {
	coll   *mongo.Collection
	stamps *mongo.Collection
	cache  *snapshotCache
}

func newPacked(db *mongo.Database, coll string) packed {
	return packed{coll: db.Collection(coll), stamps: db.Collection(CollStamps), cache: &snapshotCache{m: map[string]*snapshot{}}}
}

type shardDoc struct {
	ID      string `bson:"_id"`
	Tenant  string `bson:"tenant"`
	Shard   int    `bson:"shard"`
	Version int64  `bson:"version"`
	Entries string `bson:"entries"`
	// Log lists the last version changes of the shard, oldest first: "<version>\t<key>" (key "": a rebuild).
	Log string `bson:"log,omitempty"`
}

// logMax bounds a shard's log (about 3 KB beside the ~25 KB of entries): a rebuild that finds more changes of a
// shard during its scan than the log holds leaves that shard as it is (the next rebuild repairs it), which takes
// more than 64 changes of one shard, some 4,000 of the tenant, during one scan.
const logMax = 64

// withoutLog is the projection of the readers: the entries without the log.
var withoutLog = bson.D{{Key: "log", Value: 0}}

// logged appends the change to version of key ("" for a rebuild) to the log, keeping the last logMax.
func logged(log string, version int64, key string) string {
	lines := splitLines(log)
	lines = append(lines, strconv.FormatInt(version, 10)+"\t"+key)
	if len(lines) > logMax {
		lines = lines[len(lines)-logMax:]
	}
	return strings.Join(lines, "\n")
}

// setSince lists the keys set after version since (rebuilds' writes aside), and whether the log holds every
// change after since (false: some fell off the log, or were written by a version of this code without it).
func (d shardDoc) setSince(since int64) (map[string]bool, bool) {
	keys := map[string]bool{}
	n := int64(0)
	for _, l := range splitLines(d.Log) {
		v, key, _ := strings.Cut(l, "\t")
		version, err := strconv.ParseInt(v, 10, 64)
		if err != nil || version <= since || version > d.Version {
			continue
		}
		n++
		if key != "" {
			keys[key] = true
		}
	}
	return keys, n == d.Version-since
}

func shardOf(key string) int {
	h := fnv.New32a()
	_, _ = h.Write([]byte(key))
	return int(h.Sum32() % Shards)
}

func shardID(tenant string, shard int) string { return fmt.Sprintf("%s|%02d", tenant, shard) }

func stampField(shard int) string { return fmt.Sprintf("s%02d", shard) }

func (p packed) stampID(tenant string) string { return p.coll.Name() + "|" + tenant }

// Versions identifies the content of a tenant's index: the version of each shard.
type Versions [Shards]int64

// snapshot is a tenant's index as read: per shard its version and lines. Never modified once cached.
type snapshot struct {
	versions Versions
	lines    [Shards][]string
	read     time.Time
}

type snapshotCache struct {
	mu sync.Mutex
	m  map[string]*snapshot
}

func (c *snapshotCache) get(k string) *snapshot {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[k]
}

func (c *snapshotCache) put(k string, s *snapshot) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[k]; !ok && len(c.m) >= cacheTenants {
		for old := range c.m { // drop any one: a bound, not a policy
			delete(c.m, old)
			break
		}
	}
	c.m[k] = s
}

// ErrNotBuilt: the tenant's index has not been built yet.
var errNotBuilt = errors.New("board: index not built")

// load reads tenant's index, from memory for the shards whose version has not moved. errNotBuilt when the
// tenant's index was never built.
func (p packed) load(ctx context.Context, tenant string) (*snapshot, error) {
	return p.loadIf(ctx, tenant, true)
}

// loadIf is load; with requireBuilt false an index never built reads as it is (empty when nothing was written).
func (p packed) loadIf(ctx context.Context, tenant string, requireBuilt bool) (*snapshot, error) {
	if tenant == "" {
		return nil, store.ErrNoTenant
	}
	raw, err := p.stamps.FindOne(ctx, bson.D{{Key: "_id", Value: p.stampID(tenant)}}).Raw()
	if errors.Is(err, mongo.ErrNoDocuments) {
		if requireBuilt {
			return nil, errNotBuilt
		}
		return &snapshot{read: time.Now()}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("board: read %s stamp: %w", p.coll.Name(), err)
	}
	if built, _ := raw.Lookup("built").BooleanOK(); !built && requireBuilt {
		return nil, errNotBuilt
	}
	var want Versions
	for i := range want {
		want[i], _ = raw.Lookup(stampField(i)).AsInt64OK()
	}
	old := p.cache.get(p.stampID(tenant))
	if old != nil && old.versions == want && time.Since(old.read) < cacheMaxAge {
		return old, nil
	}
	next := &snapshot{versions: want, read: time.Now()}
	var stale []int
	for i := range Shards {
		if old != nil && old.versions[i] == want[i] && time.Since(old.read) < cacheMaxAge {
			next.lines[i] = old.lines[i]
			next.read = old.read
		} else {
			stale = append(stale, i)
		}
	}
	if len(stale) > Shards/2 {
		// Most shards moved (or nothing is cached): one query for the tenant's shards.
		cur, err := p.coll.Find(ctx, bson.D{{Key: "tenant", Value: tenant}}, options.Find().SetProjection(withoutLog))
		if err != nil {
			return nil, fmt.Errorf("board: read %s: %w", p.coll.Name(), err)
		}
		var docs []shardDoc
		if err := cur.All(ctx, &docs); err != nil {
			return nil, err
		}
		next.lines = [Shards][]string{}
		next.versions = Versions{}
		next.read = time.Now()
		for _, d := range docs {
			if d.Shard >= 0 && d.Shard < Shards {
				next.lines[d.Shard], next.versions[d.Shard] = splitLines(d.Entries), d.Version
			}
		}
	} else {
		for _, i := range stale {
			var d shardDoc
			err := p.coll.FindOne(ctx, bson.D{{Key: "_id", Value: shardID(tenant, i)}}, options.FindOne().SetProjection(withoutLog)).Decode(&d)
			if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
				return nil, fmt.Errorf("board: read %s: %w", p.coll.Name(), err)
			}
			next.lines[i], next.versions[i] = splitLines(d.Entries), d.Version
		}
	}
	p.cache.put(p.stampID(tenant), next)
	return next, nil
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// set replaces the line keyed key with line ("" deletes it) in its shard.
func (p packed) set(ctx context.Context, tenant, key, line string) error {
	if tenant == "" {
		return store.ErrNoTenant
	}
	if key == "" || strings.ContainsAny(key, "\t\n") || strings.Contains(line, "\n") || (line != "" && !strings.HasPrefix(line, key+"\t")) {
		return fmt.Errorf("board: malformed index line for %q", key)
	}
	shard := shardOf(key)
	version, err := p.setShard(ctx, tenant, shard, key, line)
	if err != nil || version == 0 {
		return err
	}
	// After the shard's lock is released (store.LockDocument: never two locks at once); $max keeps the stamp
	// right whatever order concurrent writers reach it in.
	return p.stamp(ctx, tenant, map[int]int64{shard: version}, false)
}

// setShard writes the line in its shard under the shard's lock, with the change in the shard's log, and returns
// the shard's new version (0: nothing changed).
func (p packed) setShard(ctx context.Context, tenant string, shard int, key, line string) (int64, error) {
	id := shardID(tenant, shard)
	unlock := store.LockDocument(p.coll, id)
	defer unlock()
	for range 10 {
		var doc shardDoc
		err := p.coll.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&doc)
		found := err == nil
		if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
			return 0, fmt.Errorf("board: read %s: %w", p.coll.Name(), err)
		}
		next, changed := replaceLine(doc.Entries, key, line)
		if !changed {
			return 0, nil
		}
		if !found {
			_, err = p.coll.InsertOne(ctx, shardDoc{ID: id, Tenant: tenant, Shard: shard, Version: 1, Entries: next, Log: logged("", 1, key)})
			if mongo.IsDuplicateKeyError(err) {
				continue // another process created it: read again
			}
			if err != nil {
				return 0, fmt.Errorf("board: write %s: %w", p.coll.Name(), err)
			}
			return 1, nil
		}
		res, err := p.coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "version", Value: doc.Version}},
			bson.D{{Key: "$set", Value: bson.D{{Key: "entries", Value: next}, {Key: "version", Value: doc.Version + 1},
				{Key: "log", Value: logged(doc.Log, doc.Version+1, key)}}}})
		if err != nil {
			return 0, fmt.Errorf("board: write %s: %w", p.coll.Name(), err)
		}
		if res.MatchedCount == 1 {
			return doc.Version + 1, nil
		}
	}
	return 0, fmt.Errorf("board: %s shard %s: %w", p.coll.Name(), id, store.ErrConflict)
}

// stamp raises the stamp of the given shards to their versions (never lowers them); built marks a full build.
func (p packed) stamp(ctx context.Context, tenant string, versions map[int]int64, built bool) error {
	id := p.stampID(tenant)
	unlock := store.LockDocument(p.stamps, id)
	defer unlock()
	maxes := bson.D{}
	for shard, v := range versions {
		maxes = append(maxes, bson.E{Key: stampField(shard), Value: v})
	}
	set := bson.D{{Key: "tenant", Value: tenant}, {Key: "index", Value: p.coll.Name()}}
	if built {
		set = append(set, bson.E{Key: "built", Value: true})
	}
	_, err := p.stamps.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}},
		bson.D{{Key: "$set", Value: set}, {Key: "$max", Value: maxes}}, options.UpdateOne().SetUpsert(true))
	if err != nil {
		return fmt.Errorf("board: stamp %s: %w", p.coll.Name(), err)
	}
	return nil
}

// replaceLine puts line in place of the line keyed key in the text s, sorted by key ("" removes it).
func replaceLine(s, key, line string) (string, bool) {
	lines := splitLines(s)
	i, ok := slices.BinarySearchFunc(lines, key, func(l, k string) int {
		lk, _, _ := strings.Cut(l, "\t")
		return strings.Compare(lk, k)
	})
	switch {
	case ok && line == "":
		lines = slices.Delete(lines, i, i+1)
	case ok && lines[i] == line, !ok && line == "":
		return s, false
	case ok:
		lines[i] = line
	default:
		lines = slices.Insert(lines, i, line)
	}
	return strings.Join(lines, "\n"), true
}

// replace rebuilds the index of tenant from the lines scan reads from the source documents (keyed by their key),
// then marks it built. It must not undo a set made while scan reads (an owner wrote a document, then put its line;
// in this process or another), whose line may be newer than what scan read. So replace notes each shard's version
// before calling scan, then writes each shard under its lock and on its version (compare-and-set: read again and
// retried when another process wrote it meanwhile) with scan's lines, except for the keys the shard's log says
// were set after the noted version: those keep their current line (or absence). Such a set followed a document
// write that scan saw or missed; should scan have read a still newer write, that write's own set follows and puts
// its line. A shard whose log no longer reaches back to the noted version is left as it is (the next rebuild
// repairs it). Not covered: a set that changes nothing is not logged; should an earlier set of that key have been
// lost and the document come back, after scan read it, to what the index holds, the rebuild writes the line scan
// read (the next change of that document, or the next rebuild, corrects it).
func (p packed) replace(ctx context.Context, tenant string, scan func(context.Context) (map[string]string, error)) error {
	if tenant == "" {
		return store.ErrNoTenant
	}
	before, err := p.shardVersions(ctx, tenant)
	if err != nil {
		return err
	}
	lines, err := scan(ctx)
	if err != nil {
		return err
	}
	byShard := make([]map[string]string, Shards)
	for key, line := range lines {
		if key == "" || strings.ContainsAny(key, "\t\n") || strings.Contains(line, "\n") || !strings.HasPrefix(line, key+"\t") {
			continue // a line set would refuse (the owners check their keys)
		}
		s := shardOf(key)
		if byShard[s] == nil {
			byShard[s] = map[string]string{}
		}
		byShard[s][key] = line
	}
	versions := map[int]int64{}
	for shard, built := range byShard {
		v, err := p.rebuildShard(ctx, tenant, shard, before[shard], built)
		if err != nil {
			return err
		}
		versions[shard] = v
	}
	return p.stamp(ctx, tenant, versions, true)
}

// shardVersions reads the version of each shard of tenant (0: no shard yet).
func (p packed) shardVersions(ctx context.Context, tenant string) (Versions, error) {
	var out Versions
	cur, err := p.coll.Find(ctx, bson.D{{Key: "tenant", Value: tenant}},
		options.Find().SetProjection(bson.D{{Key: "shard", Value: 1}, {Key: "version", Value: 1}}))
	if err != nil {
		return out, fmt.Errorf("board: read %s: %w", p.coll.Name(), err)
	}
	var docs []shardDoc
	if err := cur.All(ctx, &docs); err != nil {
		return out, fmt.Errorf("board: read %s: %w", p.coll.Name(), err)
	}
	for _, d := range docs {
		if d.Shard >= 0 && d.Shard < Shards {
			out[d.Shard] = d.Version
		}
	}
	return out, nil
}

// rebuildShard writes shard with the lines built (keyed by key) read after the shard was at version since,
// keeping the lines set after since (see replace), and returns the shard's version.
func (p packed) rebuildShard(ctx context.Context, tenant string, shard int, since int64, built map[string]string) (int64, error) {
	id := shardID(tenant, shard)
	unlock := store.LockDocument(p.coll, id)
	defer unlock()
	for range 10 {
		var doc shardDoc
		err := p.coll.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&doc)
		found := err == nil
		if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
			return 0, fmt.Errorf("board: read %s: %w", p.coll.Name(), err)
		}
		want := built
		if doc.Version > since {
			set, complete := doc.setSince(since)
			if !complete {
				return doc.Version, nil // too many changes to tell which are newer than the scan: left as it is
			}
			want = maps.Clone(built)
			if want == nil {
				want = map[string]string{}
			}
			for key := range set {
				delete(want, key)
			}
			for _, l := range splitLines(doc.Entries) {
				if key, _, _ := strings.Cut(l, "\t"); set[key] {
					want[key] = l
				}
			}
		}
		entries := joinSorted(want)
		if found && doc.Entries == entries {
			return doc.Version, nil // unchanged: the readers' copies stay valid
		}
		if !found {
			_, err = p.coll.InsertOne(ctx, shardDoc{ID: id, Tenant: tenant, Shard: shard, Version: 1, Entries: entries, Log: logged("", 1, "")})
			if mongo.IsDuplicateKeyError(err) {
				continue // a set created it: read again
			}
			if err != nil {
				return 0, fmt.Errorf("board: build %s: %w", p.coll.Name(), err)
			}
			return 1, nil
		}
		res, err := p.coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "version", Value: doc.Version}},
			bson.D{{Key: "$set", Value: bson.D{{Key: "entries", Value: entries}, {Key: "version", Value: doc.Version + 1},
				{Key: "log", Value: logged(doc.Log, doc.Version+1, "")}}}})
		if err != nil {
			return 0, fmt.Errorf("board: build %s: %w", p.coll.Name(), err)
		}
		if res.MatchedCount == 1 {
			return doc.Version + 1, nil
		}
	}
	return 0, fmt.Errorf("board: %s shard %s: %w", p.coll.Name(), id, store.ErrConflict)
}

// joinSorted is the shard text of lines keyed by key: sorted by key.
func joinSorted(lines map[string]string) string {
	keys := slices.Sorted(maps.Keys(lines))
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = lines[k]
	}
	return strings.Join(out, "\n")
}

// tenants lists the tenants whose index was built.
func (p packed) tenants(ctx context.Context) ([]string, error) {
	cur, err := p.stamps.Find(ctx, bson.D{{Key: "index", Value: p.coll.Name()}})
	if err != nil {
		return nil, err
	}
	var docs []struct {
		Tenant string `bson:"tenant"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		return nil, err
	}
	out := make([]string, 0, len(docs))
	for _, d := range docs {
		out = append(out, d.Tenant)
	}
	return out, nil
}
