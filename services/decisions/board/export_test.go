package board

// OnRebuildScanned has f called by the request clocks' and the directory's rebuilds after they read the source
// documents and before they write the index (a test pauses a rebuild there).
func OnRebuildScanned(s *Service, f func()) {
	s.Requests.scanned = f
	s.Directory.scanned = f
}

// ShardOf is the shard of a key.
var ShardOf = shardOf

// LogMax bounds a shard's log of changes.
const LogMax = logMax
