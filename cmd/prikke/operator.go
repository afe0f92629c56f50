package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

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

// orgCommand: prikke org set-tier (--email E | --org ID) free|pro sets
// the organization's base tier (its tier without a subscription); a
// downgrade pauses what Free does not allow.
func orgCommand(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || args[0] != "set-tier" {
		return usageError("org: expected `org set-tier (--email E | --org ID) free|pro`")
	}
	fs := newFlags("org set-tier", e)
	email := fs.String("email", "", "the user whose personal organization changes")
	orgID := fs.String("org", "", "the organization's id")
	if err := fs.Parse(args[1:]); err != nil {
		return usageError(err.Error())
	}
	if fs.NArg() != 1 || (*email == "") == (*orgID == "") {
		return usageError("org set-tier: give --email or --org, and the tier (free or pro)")
	}
	tier := prikke.Tier(fs.Arg(0))
	if !tier.Valid() {
		return usageError("org set-tier: the tier must be free or pro")
	}
	return withService(ctx, e, func(svc *service.Service, st store.Store) error {
		var id prikke.ID
		if *orgID != "" {
			var err error
			if id, err = prikke.ParseID(*orgID); err != nil {
				return fmt.Errorf("--org %q is not an organization id", *orgID)
			}
		} else {
			u, err := st.UserGetByEmail(ctx, prikke.NormalizeEmail(*email))
			if err != nil {
				return fmt.Errorf("no user with the email %s", *email)
			}
			o, err := st.OrganizationGetPersonal(ctx, u.ID)
			if err != nil {
				return err
			}
			id = o.ID
		}
		o, err := svc.SetTier(ctx, nil, id, tier)
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
			inc, err := svc.OpenIncident(ctx, service.IncidentInput{Title: *title, Message: *message,
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
			inc, err := svc.UpdateIncident(ctx, iid, st, *message)
			if err != nil {
				return userError(err)
			}
			fmt.Fprintf(e.stdout, "incident %s is now %s\n", inc.ID, inc.Status)
			return nil
		}
		return usage
	})
}
