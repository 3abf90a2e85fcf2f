package decisions

// WireDecisionsForTest connects the decisions to the app's real proposals again (a test that swapped them).
func (app *App) WireDecisionsForTest() { app.wireDecisions(app.Proposals) }
