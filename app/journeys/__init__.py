"""Customer journeys: churn after an answer, touchpoint drivers of loyalty, the journey by
stage, and each customer's answers, invitations and outcomes in time order."""
