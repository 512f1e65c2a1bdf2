package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/buytickets/buytickets/cmd/buytickets/stack"
	"github.com/buytickets/buytickets/eventing/broker"
	"github.com/buytickets/buytickets/shared/config"
	"github.com/buytickets/buytickets/shared/store/sqlite"
)

// errDeadLettersUsage is the subcommand's usage line, printed as is.
//
//lint:ignore ST1005 a usage line is never wrapped, and "ID..." is its notation for one ID or more
var errDeadLettersUsage = errors.New("usage: buytickets deadletters list [-json] | replay ID...")

// deadLetters lists or replays the embedded broker's dead letters in
// DATA_DIR. It works whether or not the marketplace is running: a running
// broker delivers a replayed event within its poll interval, a stopped one
// when it starts.
func deadLetters(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 {
		return errDeadLettersUsage
	}
	var cfg Config
	if err := config.FromEnv(&cfg); err != nil {
		return err
	}
	db, err := sqlite.Open(ctx, stack.BrokerFile(cfg.DataDir))
	if err != nil {
		return err
	}
	defer db.Close()
	switch args[0] {
	case "list":
		dls, err := broker.DeadLetters(ctx, db)
		if err != nil {
			return err
		}
		if len(args) > 1 && args[1] == "-json" {
			enc := json.NewEncoder(out)
			for _, dl := range dls {
				if err := enc.Encode(dl); err != nil {
					return err
				}
			}
			return nil
		}
		tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tAT\tTRIGGER\tEVENT TYPE\tEVENT ID\tATTEMPTS\tREASON")
		for _, dl := range dls {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\n", dl.ID, dl.At.Format("2006-01-02 15:04:05"),
				dl.Trigger, dl.EventType, dl.EventID, dl.Attempts, dl.Reason)
		}
		return tw.Flush()
	case "replay":
		if len(args) < 2 {
			return errDeadLettersUsage
		}
		for _, id := range args[1:] {
			if err := broker.Replay(ctx, db, id); err != nil {
				return err
			}
			fmt.Fprintf(out, "replayed %s\n", id)
		}
		return nil
	default:
		return errDeadLettersUsage
	}
}
