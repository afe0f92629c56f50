package main

import "context"

func bench(ctx context.Context, e *env, args []string) error { return usageError("bench: not built yet") }
