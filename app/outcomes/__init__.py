"""What happened to customers after they answered: churn, renewals, purchases."""
