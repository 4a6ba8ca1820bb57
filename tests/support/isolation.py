"""A document asking every root field, for the isolation tests and others."""

from __future__ import annotations

EVERYTHING = """{
  viewer { tenantId }
  numbers { id phoneNumber dashboard { totals { total } } }
  numbersConnection(first: 100) { totalCount edges { node { id phoneNumber } } }
  linkedNumber { phoneNumber }
  dashboard { totals { total } }
  sms { overview { messages { total } campaigns { total } contacts { total } }
        topCampaigns { id name } campaignExport { campaignName }
        trends { date messages { total } } }
  email { dashboard(pastDays: 30) { emailsSent { value } } overall(pastDays: 30) { sent } }
  campaigns { edges { node { id name ... on EmailCampaign { report { performance { sent } } } } } }
  billing { organizationId } creditBalance { balance }
  deliveryByChannel { channels { channel totals { total } } }
  organization { id numbers { phoneNumber } numbersConnection { edges { node { phoneNumber } } }
                 billing { organizationId } }
}"""
