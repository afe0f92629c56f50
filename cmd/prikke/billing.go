package main

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/service"
	"github.com/prikke/prikke/internal/store"
)

const billingHelp = `Usage:
  prikke billing unclaimed
      list the subscriptions no organization has claimed (bought without
      Prikke's checkout, or for an organization since deleted)
  prikke billing claim SUBSCRIPTION_ID ORGANIZATION_ID
      attach an unclaimed subscription to an organization; its plan
      applies at once
  prikke billing sync
      re-read every subscription from Lemon Squeezy now (a running server
      does it daily), repairing missed webhooks
`

// billingCommand is the operator's side of billing:
//
//	prikke billing unclaimed
//	prikke billing claim SUBSCRIPTION_ID ORGANIZATION_ID
//	prikke billing sync
func billingCommand(ctx context.Context, e *env, args []string) error {
	usage := usageError("billing: expected `billing unclaimed`, `billing claim SUBSCRIPTION_ID ORGANIZATION_ID` or `billing sync`")
	if len(args) == 0 {
		return usage
	}
	switch sub, args := args[0], args[1:]; sub {
	case "help", "--help", "-help", "-h":
		fmt.Fprint(e.stdout, billingHelp)
		return nil
	case "unclaimed":
		if len(args) != 0 {
			return usageError("billing unclaimed takes no arguments")
		}
		return withService(ctx, e, func(svc *service.Service, st store.Store) error {
			subs, err := svc.UnclaimedSubscriptions(ctx)
			if err != nil {
				return err
			}
			if len(subs) == 0 {
				fmt.Fprintln(e.stdout, "no unclaimed subscriptions")
				return nil
			}
			w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "SUBSCRIPTION\tEMAIL\tSTATUS\tVARIANT\tUPDATED")
			for _, s := range subs {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", s.ID, s.CustomerEmail, s.Status, s.VariantID, s.UpdatedAt.UTC().Format("2006-01-02 15:04"))
			}
			return w.Flush()
		})
	case "claim":
		if len(args) != 2 {
			return usageError("billing claim: give the subscription's id and the organization's id")
		}
		orgID, err := prikke.ParseID(args[1])
		if err != nil {
			return usageError(fmt.Sprintf("billing claim: %q is not an organization id", args[1]))
		}
		return withService(ctx, e, func(svc *service.Service, st store.Store) error {
			o, err := svc.ClaimSubscriptionFor(ctx, args[0], orgID)
			if err != nil {
				return userError(err)
			}
			fmt.Fprintf(e.stdout, "subscription %s now belongs to organization %s (%s), on the %s tier\n", args[0], o.Name, o.ID, o.Tier)
			return nil
		})
	case "sync":
		if len(args) != 0 {
			return usageError("billing sync takes no arguments")
		}
		return withService(ctx, e, func(svc *service.Service, st store.Store) error {
			if err := svc.ResyncSubscriptions(ctx); err != nil {
				return userError(err)
			}
			fmt.Fprintln(e.stdout, "subscriptions re-synced")
			return nil
		})
	}
	return usage
}
