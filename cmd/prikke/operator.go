package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/config"
	"github.com/prikke/prikke/internal/mail"
	"github.com/prikke/prikke/internal/service"
	"github.com/prikke/prikke/internal/store"
)

func init() {
	operatorCommands["user"] = userCommand
	operatorCommands["apikey"] = apikeyCommand
	operatorCommands["org"] = orgCommand
	operatorCommands["incident"] = incidentCommand
	operatorCommands["billing"] = billingCommand
	operatorCommands["nodes"] = nodesCommand
}

// withService opens the store without the owner lock (these commands run
// beside a server) and hands fn a service over it, and the store itself for
// the look-ups an operator makes across organizations.
func withService(ctx context.Context, e *env, fn func(svc *service.Service, st store.Store) error) error {
	cfg, err := config.Load(e.getenv)
	if err != nil {
		return err
	}
	logger := newLogger(cfg, e.stderr)
	st, err := openStore(ctx, cfg, false, logger, nil)
	if err != nil {
		return err
	}
	defer st.Close()
	return fn(newService(cfg, st, nil, mail.NewMailbox(), logger), st)
}

func newFlags(name string, e *env) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	return fs
}

// userCommand: prikke user create --email E --password-stdin [--tier free|pro]
func userCommand(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || args[0] != "create" {
		return usageError("user: expected `user create --email E --password-stdin [--tier free|pro]`")
	}
	fs := newFlags("user create", e)
	email := fs.String("email", "", "the user's email address")
	fromStdin := fs.Bool("password-stdin", false, "read the password from standard input (first line)")
	tier := fs.String("tier", "", "the personal organization's tier: free or pro (default: PRIKKE_DEFAULT_TIER)")
	if err := fs.Parse(args[1:]); err != nil {
		return usageError(err.Error())
	}
	if *email == "" || !*fromStdin {
		return usageError("user create: --email and --password-stdin are required (the password is read from standard input, never from the command line)")
	}
	pw, err := bufio.NewReader(e.stdin).ReadString('\n')
	if err != nil && err != io.EOF {
		return fmt.Errorf("read the password: %w", err)
	}
	pw = strings.TrimRight(pw, "\r\n")
	return withService(ctx, e, func(svc *service.Service, st store.Store) error {
		u, err := svc.CreateConfirmedUser(ctx, *email, pw, prikke.Tier(*tier))
		if err != nil {
			return userError(err)
		}
		o, err := st.OrganizationGetPersonal(ctx, u.ID)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "created user %s (%s) with a %s personal organization\n", u.Email, u.ID, o.Tier)
		return nil
	})
}

// userError turns a validation error into a line per field.
func userError(err error) error {
	fs := prikke.ErrorFields(err)
	if len(fs) == 0 {
		if c := prikke.ErrorCode(err); c != prikke.EINTERNAL && c != prikke.EUNAVAILABLE {
			return fmt.Errorf("%s", prikke.ErrorMessage(err))
		}
		return err
	}
	var b strings.Builder
	for i, f := range fs {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(f.Field + " " + f.Message)
	}
	return fmt.Errorf("%s", b.String())
}

// apikeyCommand: prikke apikey create --email E [--name N]; prints the key
// alone on a line.
func apikeyCommand(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || args[0] != "create" {
		return usageError("apikey: expected `apikey create --email E [--name N]`")
	}
	fs := newFlags("apikey create", e)
	email := fs.String("email", "", "the user whose personal organization gets the key")
	name := fs.String("name", "cli", "a name for the key")
	if err := fs.Parse(args[1:]); err != nil {
		return usageError(err.Error())
	}
	if *email == "" {
		return usageError("apikey create: --email is required")
	}
	return withService(ctx, e, func(svc *service.Service, st store.Store) error {
		full, _, err := svc.CreateAPIKeyForUser(ctx, *email, *name)
		if err != nil {
			return userError(err)
		}
		fmt.Fprintln(e.stdout, full)
		return nil
	})
}

// orgCommand: the operator's organization commands.
//
//	prikke org set-tier (--email E | --org ID) free|pro
//	prikke org suspend (ORG | --email E | --org ID) --reason R
//	prikke org unsuspend (ORG | --email E | --org ID)
//	prikke org list [--query Q] [--suspended]
//
// ORG is an organization's id, or an email for that user's personal
// organization.
func orgCommand(ctx context.Context, e *env, args []string) error {
	usage := usageError("org: expected `org set-tier (--email E | --org ID) free|pro`, `org suspend ORG --reason R`, " +
		"`org unsuspend ORG` or `org list [--query Q] [--suspended]` (ORG: an organization id, or a user's email for their personal organization)")
	if len(args) == 0 {
		return usage
	}
	switch args[0] {
	case "set-tier":
		return orgSetTier(ctx, e, args[1:])
	case "suspend", "unsuspend":
		return orgSuspend(ctx, e, args[0], args[1:])
	case "list":
		return orgList(ctx, e, args[1:])
	}
	return usage
}

// orgFlags adds --email and --org to fs; the returned function resolves
// them, or a leading or trailing ORG argument, to one organization.
func orgFlags(fs *flag.FlagSet) func(ctx context.Context, st store.Store, positional string) (prikke.ID, error) {
	email := fs.String("email", "", "the user whose personal organization it is")
	orgID := fs.String("org", "", "the organization's id")
	return func(ctx context.Context, st store.Store, positional string) (prikke.ID, error) {
		given := 0
		for _, v := range []string{*email, *orgID, positional} {
			if v != "" {
				given++
			}
		}
		if given != 1 {
			return prikke.ID{}, usageError(fs.Name() + ": name one organization: ORG, --email E or --org ID")
		}
		if positional != "" {
			if strings.Contains(positional, "@") {
				*email = positional
			} else {
				*orgID = positional
			}
		}
		if *orgID != "" {
			id, err := prikke.ParseID(*orgID)
			if err != nil {
				return prikke.ID{}, fmt.Errorf("%q is not an organization id", *orgID)
			}
			return id, nil
		}
		u, err := st.UserGetByEmail(ctx, prikke.NormalizeEmail(*email))
		if err != nil {
			return prikke.ID{}, fmt.Errorf("no user with the email %s", *email)
		}
		o, err := st.OrganizationGetPersonal(ctx, u.ID)
		if err != nil {
			return prikke.ID{}, err
		}
		return o.ID, nil
	}
}

// leading takes an argument before the flags (`org suspend ORG --reason
// R`), which the flag package would stop at.
func leading(args []string) (string, []string) {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		return args[0], args[1:]
	}
	return "", args
}

// orgSetTier sets the organization's base tier (its tier without a
// subscription); a downgrade pauses what Free does not allow.
func orgSetTier(ctx context.Context, e *env, args []string) error {
	fs := newFlags("org set-tier", e)
	org := orgFlags(fs)
	if err := fs.Parse(args); err != nil {
		return usageError(err.Error())
	}
	if fs.NArg() != 1 {
		return usageError("org set-tier: give --email or --org, and the tier (free or pro)")
	}
	tier := prikke.Tier(fs.Arg(0))
	if !tier.Valid() {
		return usageError("org set-tier: the tier must be free or pro")
	}
	return withService(ctx, e, func(svc *service.Service, st store.Store) error {
		id, err := org(ctx, st, "")
		if err != nil {
			return err
		}
		o, err := svc.SetBaseTierAs(ctx, service.CLIOperator(), id, tier)
		if err != nil {
			return userError(err)
		}
		if o.Tier != tier {
			fmt.Fprintf(e.stdout, "organization %s (%s) has the base tier %s, and stays on the %s tier while its subscription grants it\n", o.Name, o.ID, tier, o.Tier)
			return nil
		}
		fmt.Fprintf(e.stdout, "organization %s (%s) is now on the %s tier\n", o.Name, o.ID, o.Tier)
		return nil
	})
}

// orgSuspend suspends an organization (its jobs and monitors pause, its
// API keys answer 403 with the reason, its members change nothing) or
// lifts the suspension.
func orgSuspend(ctx context.Context, e *env, sub string, args []string) error {
	positional, args := leading(args)
	fs := newFlags("org "+sub, e)
	org := orgFlags(fs)
	var reason *string
	if sub == "suspend" {
		reason = fs.String("reason", "", "why, shown to the organization's members and API clients (required)")
	}
	if err := fs.Parse(args); err != nil {
		return usageError(err.Error())
	}
	if positional == "" && fs.NArg() == 1 {
		positional = fs.Arg(0)
	} else if fs.NArg() > 0 {
		return usageError("org " + sub + ": unexpected " + strings.Join(fs.Args(), " "))
	}
	if reason != nil && strings.TrimSpace(*reason) == "" {
		return usageError("org suspend: --reason is required: the organization's members and API clients are shown it")
	}
	return withService(ctx, e, func(svc *service.Service, st store.Store) error {
		id, err := org(ctx, st, positional)
		if err != nil {
			return err
		}
		if sub == "unsuspend" {
			res, err := svc.UnsuspendOrganization(ctx, service.CLIOperator(), id)
			if err != nil {
				return userError(err)
			}
			fmt.Fprintf(e.stdout, "organization %s is no longer suspended: %d jobs and %d monitors resumed\n", id, len(res.Jobs), len(res.Monitors))
			return nil
		}
		res, err := svc.SuspendOrganization(ctx, service.CLIOperator(), id, *reason)
		if err != nil {
			return userError(err)
		}
		fmt.Fprintf(e.stdout, "organization %s is suspended: %d jobs and %d monitors paused, %d queued deliveries dropped\n",
			id, len(res.Jobs), len(res.Monitors), res.Cancelled)
		return nil
	})
}

// orgList prints organizations with their tier, counts and this month's
// usage, newest first.
func orgList(ctx context.Context, e *env, args []string) error {
	fs := newFlags("org list", e)
	query := fs.String("query", "", "an organization id, or part of a name or an owner's email")
	suspended := fs.Bool("suspended", false, "only suspended organizations")
	limit := fs.Int("limit", 100, "at most this many")
	if err := fs.Parse(args); err != nil {
		return usageError(err.Error())
	}
	if fs.NArg() > 0 {
		return usageError("org list: unexpected " + strings.Join(fs.Args(), " "))
	}
	return withService(ctx, e, func(svc *service.Service, st store.Store) error {
		orgs, err := svc.OperatorOrganizations(ctx, service.CLIOperator(),
			store.OrganizationSummaryFilter{Query: *query, Suspended: *suspended, Limit: *limit})
		if err != nil {
			return userError(err)
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tOWNER\tTIER\tMEMBERS\tPROJECTS\tJOBS\tMONITORS\tREQUESTS\tSUSPENDED")
		for _, s := range orgs {
			o := s.Organization
			susp := "-"
			if o.Suspended() {
				susp = o.SuspendedAt.UTC().Format(time.RFC3339) + ": " + o.SuspendReason
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%s\n", o.ID, o.Name, s.OwnerEmail, o.Tier,
				s.Members, s.Projects, s.Jobs, s.Monitors, s.Requests, susp)
		}
		return tw.Flush()
	})
}

// nodesCommand: prikke nodes prints the cluster's nodes from their
// heartbeats.
func nodesCommand(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 {
		return usageError("nodes takes no arguments")
	}
	return withService(ctx, e, func(svc *service.Service, st store.Store) error {
		nodes, err := svc.Nodes(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NODE\tVERSION\tSCHEMA\tSTARTED\tBEAT\tLEADER\tIN FLIGHT\tWORKERS\tGOROUTINES\tHEAP MB\tLOAD")
		for _, n := range nodes {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%t\t%d\t%d\t%d\t%.1f\t%.2f\n", n.ID, n.Version, n.Schema,
				n.StartedAt.UTC().Format(time.RFC3339), n.BeatAt.UTC().Format(time.RFC3339), n.Leader,
				n.InFlight, n.Workers, n.Goroutines, float64(n.HeapBytes)/(1<<20), n.Load1)
		}
		return tw.Flush()
	})
}

// incidentCommand posts to the public status page:
//
//	prikke incident open --title T --message M [--components api,delivery] [--status investigating]
//	prikke incident update ID --status identified|monitoring|resolved --message M
//	prikke incident resolve ID [--message M]
func incidentCommand(ctx context.Context, e *env, args []string) error {
	usage := usageError("incident: expected `incident open --title T --message M [--components api,dashboard,scheduler,delivery] [--status investigating]`, " +
		"`incident update ID --status S --message M` or `incident resolve ID [--message M]`")
	if len(args) == 0 {
		return usage
	}
	sub, args := args[0], args[1:]
	fs := newFlags("incident "+sub, e)
	title := fs.String("title", "", "the incident's title")
	message := fs.String("message", "", "what is happening")
	components := fs.String("components", "", "affected components, comma-separated: api, dashboard, scheduler, delivery")
	status := fs.String("status", "", "investigating, identified, monitoring or resolved")
	var id string
	if sub == "update" || sub == "resolve" {
		if len(args) == 0 || strings.HasPrefix(args[0], "-") {
			return usageError("incident " + sub + ": give the incident id first")
		}
		id, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return usageError(err.Error())
	}
	return withService(ctx, e, func(svc *service.Service, st store.Store) error {
		switch sub {
		case "open":
			var comps []string
			if *components != "" {
				for _, c := range strings.Split(*components, ",") {
					comps = append(comps, strings.TrimSpace(c))
				}
			}
			inc, err := svc.OpenIncidentAs(ctx, service.CLIOperator(), service.IncidentInput{Title: *title, Message: *message,
				Status: prikke.IncidentStatus(*status), Components: comps})
			if err != nil {
				return userError(err)
			}
			fmt.Fprintln(e.stdout, inc.ID)
			return nil
		case "update", "resolve":
			iid, err := prikke.ParseID(id)
			if err != nil {
				return fmt.Errorf("%q is not an incident id", id)
			}
			st := prikke.IncidentStatus(*status)
			if sub == "resolve" {
				st = prikke.IncidentResolved
				if *message == "" {
					*message = "This incident has been resolved."
				}
			}
			inc, err := svc.UpdateIncidentAs(ctx, service.CLIOperator(), iid, st, *message)
			if err != nil {
				return userError(err)
			}
			fmt.Fprintf(e.stdout, "incident %s is now %s\n", inc.ID, inc.Status)
			return nil
		}
		return usage
	})
}
