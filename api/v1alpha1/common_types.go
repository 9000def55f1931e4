package v1alpha1

// This file holds the value types that several kinds share, each with its
// validation, so that a rule (an e-mail address, a country code, a domain
// name) is written once and reads the same wherever it is used.

// EmailAddress is an e-mail address such as alice@example.com. It is also the
// Kubernetes user name that its owner authenticates with.
// +kubebuilder:validation:MinLength=3
// +kubebuilder:validation:MaxLength=254
// +kubebuilder:validation:XValidation:rule="self.matches('^[a-zA-Z0-9.!#$%&*+/=?^_{|}~-]+@[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?([.][a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)+$')",message="must be a valid e-mail address such as alice@example.com"
type EmailAddress string

// ObjectName is the name of another object of this API, such as the name of a
// User: a lowercase RFC 1123 subdomain of at most 253 characters.
// +kubebuilder:validation:MinLength=1
// +kubebuilder:validation:MaxLength=253
// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*$')",message="must be an object name: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit"
type ObjectName string

// DomainName is a fully qualified domain name in lowercase A-label form
// (internationalised names in punycode, xn--...), without a trailing dot, such
// as example.com: at least two labels of at most 63 characters, at most 253
// characters in all, and an alphabetic top-level domain.
// +kubebuilder:validation:MinLength=4
// +kubebuilder:validation:MaxLength=253
// +kubebuilder:validation:XValidation:rule="self == self.lowerAscii()",message="must be lowercase (write internationalised names as A-labels, xn--...)"
// +kubebuilder:validation:XValidation:rule="self.split('.').all(label, label.size() <= 63)",message="each label (the parts between dots) must be at most 63 characters"
// +kubebuilder:validation:XValidation:rule="self.lowerAscii().matches('^([a-z0-9]([a-z0-9-]*[a-z0-9])?[.])+[a-z]([a-z0-9-]*[a-z0-9])?$')",message="must be a fully qualified domain name such as example.com: labels of letters, digits and inner hyphens separated by single dots, no trailing dot, and an alphabetic top-level domain"
type DomainName string

// CountryCode is an ISO 3166-1 alpha-2 country code in upper case, such as DE.
// +kubebuilder:validation:MinLength=2
// +kubebuilder:validation:MaxLength=2
// +kubebuilder:validation:XValidation:rule="self in ['AD','AE','AF','AG','AI','AL','AM','AO','AQ','AR','AS','AT','AU','AW','AX','AZ','BA','BB','BD','BE','BF','BG','BH','BI','BJ','BL','BM','BN','BO','BQ','BR','BS','BT','BV','BW','BY','BZ','CA','CC','CD','CF','CG','CH','CI','CK','CL','CM','CN','CO','CR','CU','CV','CW','CX','CY','CZ','DE','DJ','DK','DM','DO','DZ','EC','EE','EG','EH','ER','ES','ET','FI','FJ','FK','FM','FO','FR','GA','GB','GD','GE','GF','GG','GH','GI','GL','GM','GN','GP','GQ','GR','GS','GT','GU','GW','GY','HK','HM','HN','HR','HT','HU','ID','IE','IL','IM','IN','IO','IQ','IR','IS','IT','JE','JM','JO','JP','KE','KG','KH','KI','KM','KN','KP','KR','KW','KY','KZ','LA','LB','LC','LI','LK','LR','LS','LT','LU','LV','LY','MA','MC','MD','ME','MF','MG','MH','MK','ML','MM','MN','MO','MP','MQ','MR','MS','MT','MU','MV','MW','MX','MY','MZ','NA','NC','NE','NF','NG','NI','NL','NO','NP','NR','NU','NZ','OM','PA','PE','PF','PG','PH','PK','PL','PM','PN','PR','PS','PT','PW','PY','QA','RE','RO','RS','RU','RW','SA','SB','SC','SD','SE','SG','SH','SI','SJ','SK','SL','SM','SN','SO','SR','SS','ST','SV','SX','SY','SZ','TC','TD','TF','TG','TH','TJ','TK','TL','TM','TN','TO','TR','TT','TV','TW','TZ','UA','UG','UM','US','UY','UZ','VA','VC','VE','VG','VI','VN','VU','WF','WS','YE','YT','ZA','ZM','ZW']",message="must be an ISO 3166-1 alpha-2 country code in upper case, such as DE or US"
type CountryCode string

// CurrencyCode is an ISO 4217 currency code, such as EUR.
// +kubebuilder:validation:MinLength=3
// +kubebuilder:validation:MaxLength=3
// +kubebuilder:validation:XValidation:rule="self in ['AED','AFN','ALL','AMD','AOA','ARS','AUD','AWG','AZN','BAM','BBD','BDT','BHD','BIF','BMD','BND','BOB','BOV','BRL','BSD','BTN','BWP','BYN','BZD','CAD','CDF','CHE','CHF','CHW','CLF','CLP','CNY','COP','COU','CRC','CUP','CVE','CZK','DJF','DKK','DOP','DZD','EGP','ERN','ETB','EUR','FJD','FKP','GBP','GEL','GHS','GIP','GMD','GNF','GTQ','GYD','HKD','HNL','HTG','HUF','IDR','ILS','INR','IQD','IRR','ISK','JMD','JOD','JPY','KES','KGS','KHR','KMF','KPW','KRW','KWD','KYD','KZT','LAK','LBP','LKR','LRD','LSL','LYD','MAD','MDL','MGA','MKD','MMK','MNT','MOP','MRU','MUR','MVR','MWK','MXN','MXV','MYR','MZN','NAD','NGN','NIO','NOK','NPR','NZD','OMR','PAB','PEN','PGK','PHP','PKR','PLN','PYG','QAR','RON','RSD','RUB','RWF','SAR','SBD','SCR','SDG','SEK','SGD','SHP','SLE','SOS','SRD','SSP','STN','SVC','SYP','SZL','THB','TJS','TMT','TND','TOP','TRY','TTD','TWD','TZS','UAH','UGX','USD','USN','UYI','UYU','UYW','UZS','VED','VES','VND','VUV','WST','XAF','XCD','XCG','XOF','XPF','YER','ZAR','ZMW','ZWG']",message="must be an ISO 4217 currency code in upper case, such as EUR or USD"
type CurrencyCode string

// PhoneNumber is a telephone number in the EPP form +CC.NUMBER (RFC 5733),
// such as +49.3012345678: a '+', a country calling code of 1 to 3 digits, a
// dot, and up to 14 digits.
// +kubebuilder:validation:MaxLength=17
// +kubebuilder:validation:XValidation:rule="self.matches('^[+][0-9]{1,3}[.][0-9]{1,14}$')",message="must be in the form +CC.NUMBER, such as +49.3012345678"
type PhoneNumber string

// AmountMinor is an amount of money in integer minor units of its currency
// (cents for EUR: 1999 is 19.99 EUR). Money is never a floating-point number.
// +kubebuilder:validation:Minimum=0
// +kubebuilder:validation:Maximum=100000000000
type AmountMinor int64

// BasisPoints is a rate in hundredths of a percent: 1900 is 19 %.
// +kubebuilder:validation:Minimum=0
// +kubebuilder:validation:Maximum=10000
type BasisPoints int32

// ContactDetails is a name-and-address record following the EPP contact
// object (RFC 5733). It is the data of a Contact and of an Account's own
// contact (the contract partner), and it is copied into an Invoice at issue.
type ContactDetails struct {
	// name is the full name of the person, 1 to 255 characters.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	Name string `json:"name"`

	// organisation is the name of the company or organisation, if any.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	Organisation string `json:"organisation,omitempty"`

	// street holds up to 3 lines of street address.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=3
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=255
	Street []string `json:"street,omitempty"`

	// city is the city or town, 1 to 255 characters.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	City string `json:"city"`

	// stateProvince is the state or province, where the address has one.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	StateProvince string `json:"stateProvince,omitempty"`

	// postalCode is the postal code, at most 16 characters.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=16
	PostalCode string `json:"postalCode,omitempty"`

	// countryCode is the country as an ISO 3166-1 alpha-2 code, such as DE.
	// +required
	CountryCode CountryCode `json:"countryCode"`

	// email is the contact's e-mail address.
	// +required
	Email EmailAddress `json:"email"`

	// phone is the telephone number in the form +CC.NUMBER, such as +49.3012345678.
	// +optional
	Phone PhoneNumber `json:"phone,omitempty"`

	// fax is the fax number in the form +CC.NUMBER.
	// +optional
	Fax PhoneNumber `json:"fax,omitempty"`

	// vatID is the value-added-tax identification number, such as DE123456789:
	// two letters of the issuing country followed by 2 to 13 letters or digits.
	// +optional
	// +kubebuilder:validation:MaxLength=15
	// +kubebuilder:validation:XValidation:rule="self.matches('^[A-Z]{2}[0-9A-Z]{2,13}$')",message="must be two upper-case country letters followed by 2 to 13 upper-case letters or digits, such as DE123456789"
	VATID string `json:"vatID,omitempty"`
}

// LocalObjectReference names an object in the same namespace.
type LocalObjectReference struct {
	// name is the name of the referenced object.
	// +required
	Name ObjectName `json:"name"`
}
