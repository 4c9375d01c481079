<?xml version="1.0" encoding="UTF-8"?>
<!--
  invoice_html.xsl - an FA (3) invoice (schemat_FA(3)_v1-0E.xsd, namespace
  http://crd.gov.pl/wzor/2025/06/25/13775/) as one HTML fragment, an
  <article class="invoice">, for ksefd's read-only console to embed.
  invoice_html.c compiles it once (it is built into ksefd, see
  cmake/embed.cmake) and applies it to invoices that libksef has already
  recognised as FA (3).

  What is shown, in the order a person reads a paper invoice: the header
  (form code and variant, when and by what system it was made), the seller
  (Podmiot1), the buyer (Podmiot2), the other parties (Podmiot3, with their
  role) and an authorised entity (PodmiotUpowazniony); the invoice data
  (Fa: currency, issue date and place, number, delivery date or period,
  kind, and for a correction what it corrects); the lines (FaWiersz); the
  totals by VAT rate (P_13_x net, P_14_x VAT) and the total due (P_15);
  the annotations (Adnotacje) in words; the payment terms (Platnosc); the
  transaction terms, the order of an advance invoice, the attachment
  (Zalacznik) and the footer (Stopka). The labels are English; the Polish
  element names stay in the schema and in this file's comments. Code
  values (a payment form "6", a role "2") are shown as words; a code the
  schema does not list is shown as it stands.

  Rules this file keeps, because the invoice comes from a client:
  - every value goes out through xsl:value-of, as text: the HTML
    serializer escapes it, and nothing here uses disable-output-escaping;
  - no invoice value is ever put into an attribute: the only attributes
    written are fixed class names (no href, src or style, so a payment
    link, LinkDoPlatnosci, is shown as text, never as a link);
  - no document(), no xsl:import or xsl:include, no extension functions:
    the transform reads nothing but the invoice (invoice_html.c also
    forbids every file and network access through libxslt's security
    preferences);
  - only child and attribute paths, never // or a preceding-sibling count,
    so the work grows in step with the invoice's size.
-->
<xsl:stylesheet version="1.0"
	xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
	xmlns:f="http://crd.gov.pl/wzor/2025/06/25/13775/"
	exclude-result-prefixes="f">

	<!-- A fragment: no DOCTYPE and no <html>, <head> or <body>. -->
	<xsl:output method="html" encoding="UTF-8" indent="no"/>

	<!-- Anything but an FA (3) Faktura gives an empty article; the C side
	     refuses such documents before they get here. -->
	<xsl:template match="/">
		<xsl:choose>
			<xsl:when test="f:Faktura">
				<xsl:apply-templates select="f:Faktura"/>
			</xsl:when>
			<xsl:otherwise>
				<article class="invoice"/>
			</xsl:otherwise>
		</xsl:choose>
	</xsl:template>

	<xsl:template match="f:Faktura">
		<article class="invoice">
			<xsl:apply-templates select="f:Naglowek"/>
			<section class="invoice-parties">
				<xsl:apply-templates select="f:Podmiot1"/>
				<xsl:apply-templates select="f:Podmiot2"/>
				<xsl:apply-templates select="f:Podmiot3"/>
				<xsl:apply-templates select="f:PodmiotUpowazniony"/>
			</section>
			<xsl:apply-templates select="f:Fa"/>
			<xsl:apply-templates select="f:Zalacznik"/>
			<xsl:apply-templates select="f:Stopka"/>
		</article>
	</xsl:template>

	<!-- ===== Small helpers ===== -->

	<!-- One labelled value (a dt and a dd) when the value is there. $v is
	     a node-set (its first node's text is shown) or a string. -->
	<xsl:template name="field">
		<xsl:param name="label"/>
		<xsl:param name="v"/>
		<xsl:if test="string($v) != ''">
			<dt><xsl:value-of select="$label"/></dt>
			<dd><xsl:value-of select="$v"/></dd>
		</xsl:if>
	</xsl:template>

	<!-- "Yes" for the schema's 1 (TWybor1, TWybor1_2), "No" for 2. -->
	<xsl:template name="yes-no">
		<xsl:param name="label"/>
		<xsl:param name="v"/>
		<xsl:if test="$v">
			<dt><xsl:value-of select="$label"/></dt>
			<dd>
				<xsl:choose>
					<xsl:when test="string($v) = '1'">Yes</xsl:when>
					<xsl:when test="string($v) = '2'">No</xsl:when>
					<xsl:otherwise><xsl:value-of select="$v"/></xsl:otherwise>
				</xsl:choose>
			</dd>
		</xsl:if>
	</xsl:template>

	<!-- ===== Header (Naglowek) ===== -->

	<xsl:template match="f:Naglowek">
		<header class="invoice-header">
			<h2 class="invoice-title">
				<xsl:text>Invoice </xsl:text>
				<span class="invoice-number"><xsl:value-of select="../f:Fa/f:P_2"/></span>
			</h2>
			<dl class="invoice-fields">
				<dt>Form</dt>
				<dd>
					<xsl:value-of select="f:KodFormularza/@kodSystemowy"/>
					<xsl:text>, schema version </xsl:text>
					<xsl:value-of select="f:KodFormularza/@wersjaSchemy"/>
					<xsl:text> (</xsl:text>
					<xsl:value-of select="f:KodFormularza"/>
					<xsl:text>)</xsl:text>
				</dd>
				<xsl:call-template name="field">
					<xsl:with-param name="label">Form variant</xsl:with-param>
					<xsl:with-param name="v" select="f:WariantFormularza"/>
				</xsl:call-template>
				<xsl:call-template name="field">
					<xsl:with-param name="label">Created</xsl:with-param>
					<xsl:with-param name="v" select="f:DataWytworzeniaFa"/>
				</xsl:call-template>
				<xsl:call-template name="field">
					<xsl:with-param name="label">Issuing system</xsl:with-param>
					<xsl:with-param name="v" select="f:SystemInfo"/>
				</xsl:call-template>
			</dl>
		</header>
	</xsl:template>

	<!-- ===== Parties (Podmiot1, Podmiot2, Podmiot3, PodmiotUpowazniony) ===== -->

	<xsl:template match="f:Podmiot1">
		<section class="invoice-party invoice-seller">
			<h3>Seller</h3>
			<dl class="invoice-fields">
				<xsl:call-template name="field">
					<xsl:with-param name="label">EU VAT prefix</xsl:with-param>
					<xsl:with-param name="v" select="f:PrefiksPodatnika"/>
				</xsl:call-template>
				<xsl:call-template name="party-body"/>
				<xsl:if test="f:StatusInfoPodatnika">
					<dt>Taxpayer status</dt>
					<dd>
						<xsl:choose>
							<xsl:when test="f:StatusInfoPodatnika = '1'">In liquidation</xsl:when>
							<xsl:when test="f:StatusInfoPodatnika = '2'">In restructuring proceedings</xsl:when>
							<xsl:when test="f:StatusInfoPodatnika = '3'">In bankruptcy</xsl:when>
							<xsl:when test="f:StatusInfoPodatnika = '4'">Enterprise in probate</xsl:when>
							<xsl:otherwise><xsl:value-of select="f:StatusInfoPodatnika"/></xsl:otherwise>
						</xsl:choose>
					</dd>
				</xsl:if>
			</dl>
		</section>
	</xsl:template>

	<xsl:template match="f:Podmiot2">
		<section class="invoice-party invoice-buyer">
			<h3>Buyer</h3>
			<dl class="invoice-fields">
				<xsl:call-template name="party-body"/>
				<xsl:call-template name="field">
					<xsl:with-param name="label">Customer number</xsl:with-param>
					<xsl:with-param name="v" select="f:NrKlienta"/>
				</xsl:call-template>
				<xsl:call-template name="field">
					<xsl:with-param name="label">Buyer ID (for corrections)</xsl:with-param>
					<xsl:with-param name="v" select="f:IDNabywcy"/>
				</xsl:call-template>
				<xsl:call-template name="yes-no">
					<xsl:with-param name="label">Subordinate unit of a local government (JST)</xsl:with-param>
					<xsl:with-param name="v" select="f:JST"/>
				</xsl:call-template>
				<xsl:call-template name="yes-no">
					<xsl:with-param name="label">Member of a VAT group</xsl:with-param>
					<xsl:with-param name="v" select="f:GV"/>
				</xsl:call-template>
			</dl>
		</section>
	</xsl:template>

	<xsl:template match="f:Podmiot3">
		<section class="invoice-party invoice-third-party">
			<h3>Other party</h3>
			<dl class="invoice-fields">
				<dt>Role</dt>
				<dd>
					<xsl:choose>
						<xsl:when test="f:Rola"><xsl:call-template name="third-party-role"/></xsl:when>
						<xsl:otherwise>
							<xsl:text>Other: </xsl:text>
							<xsl:value-of select="f:OpisRoli"/>
						</xsl:otherwise>
					</xsl:choose>
				</dd>
				<xsl:call-template name="field">
					<xsl:with-param name="label">Share (%)</xsl:with-param>
					<xsl:with-param name="v" select="f:Udzial"/>
				</xsl:call-template>
				<xsl:call-template name="party-body"/>
				<xsl:call-template name="field">
					<xsl:with-param name="label">Customer number</xsl:with-param>
					<xsl:with-param name="v" select="f:NrKlienta"/>
				</xsl:call-template>
				<xsl:call-template name="field">
					<xsl:with-param name="label">Buyer ID (for corrections)</xsl:with-param>
					<xsl:with-param name="v" select="f:IDNabywcy"/>
				</xsl:call-template>
			</dl>
		</section>
	</xsl:template>

	<!-- TRolaPodmiotu3 in words. -->
	<xsl:template name="third-party-role">
		<xsl:choose>
			<xsl:when test="f:Rola = '1'">Factor</xsl:when>
			<xsl:when test="f:Rola = '2'">Recipient (internal unit or branch)</xsl:when>
			<xsl:when test="f:Rola = '3'">Original entity</xsl:when>
			<xsl:when test="f:Rola = '4'">Additional buyer</xsl:when>
			<xsl:when test="f:Rola = '5'">Invoice issuer on the taxpayer's behalf</xsl:when>
			<xsl:when test="f:Rola = '6'">Payer</xsl:when>
			<xsl:when test="f:Rola = '7'">Local government unit: issuer</xsl:when>
			<xsl:when test="f:Rola = '8'">Local government unit: recipient</xsl:when>
			<xsl:when test="f:Rola = '9'">VAT group member: issuer</xsl:when>
			<xsl:when test="f:Rola = '10'">VAT group member: recipient</xsl:when>
			<xsl:when test="f:Rola = '11'">Employee</xsl:when>
			<xsl:otherwise><xsl:value-of select="f:Rola"/></xsl:otherwise>
		</xsl:choose>
	</xsl:template>

	<xsl:template match="f:PodmiotUpowazniony">
		<section class="invoice-party invoice-authorised">
			<h3>Authorised entity</h3>
			<dl class="invoice-fields">
				<dt>Role</dt>
				<dd>
					<xsl:choose>
						<xsl:when test="f:RolaPU = '1'">Enforcement authority</xsl:when>
						<xsl:when test="f:RolaPU = '2'">Court bailiff</xsl:when>
						<xsl:when test="f:RolaPU = '3'">Tax representative</xsl:when>
						<xsl:otherwise><xsl:value-of select="f:RolaPU"/></xsl:otherwise>
					</xsl:choose>
				</dd>
				<xsl:call-template name="party-body"/>
				<xsl:for-each select="f:DaneKontaktowe">
					<xsl:call-template name="field">
						<xsl:with-param name="label">E-mail</xsl:with-param>
						<xsl:with-param name="v" select="f:EmailPU"/>
					</xsl:call-template>
					<xsl:call-template name="field">
						<xsl:with-param name="label">Phone</xsl:with-param>
						<xsl:with-param name="v" select="f:TelefonPU"/>
					</xsl:call-template>
				</xsl:for-each>
			</dl>
		</section>
	</xsl:template>

	<!-- What every party has: EORI, identification (TPodmiot1, 2 or 3),
	     addresses and contacts. The context node is the party. -->
	<xsl:template name="party-body">
		<xsl:call-template name="field">
			<xsl:with-param name="label">EORI number</xsl:with-param>
			<xsl:with-param name="v" select="f:NrEORI"/>
		</xsl:call-template>
		<xsl:apply-templates select="f:DaneIdentyfikacyjne"/>
		<xsl:apply-templates select="f:Adres | f:AdresKoresp | f:AdresPrzewoznika"/>
		<xsl:for-each select="f:DaneKontaktowe">
			<xsl:call-template name="field">
				<xsl:with-param name="label">E-mail</xsl:with-param>
				<xsl:with-param name="v" select="f:Email"/>
			</xsl:call-template>
			<xsl:call-template name="field">
				<xsl:with-param name="label">Phone</xsl:with-param>
				<xsl:with-param name="v" select="f:Telefon"/>
			</xsl:call-template>
		</xsl:for-each>
	</xsl:template>

	<!-- Identification: NIP, internal ID, EU VAT number, another country's
	     tax ID, or none (the choices of TPodmiot1/2/3); then the name. -->
	<xsl:template match="f:DaneIdentyfikacyjne">
		<xsl:call-template name="field">
			<xsl:with-param name="label">NIP</xsl:with-param>
			<xsl:with-param name="v" select="f:NIP"/>
		</xsl:call-template>
		<xsl:call-template name="field">
			<xsl:with-param name="label">Internal ID</xsl:with-param>
			<xsl:with-param name="v" select="f:IDWew"/>
		</xsl:call-template>
		<xsl:if test="f:NrVatUE">
			<dt>EU VAT number</dt>
			<dd>
				<xsl:value-of select="f:KodUE"/>
				<xsl:text> </xsl:text>
				<xsl:value-of select="f:NrVatUE"/>
			</dd>
		</xsl:if>
		<xsl:if test="f:NrID">
			<dt>Tax ID</dt>
			<dd>
				<xsl:if test="f:KodKraju">
					<xsl:value-of select="f:KodKraju"/>
					<xsl:text> </xsl:text>
				</xsl:if>
				<xsl:value-of select="f:NrID"/>
			</dd>
		</xsl:if>
		<xsl:if test="f:BrakID = '1'">
			<dt>Tax ID</dt>
			<dd>None</dd>
		</xsl:if>
		<xsl:call-template name="field">
			<xsl:with-param name="label">Name</xsl:with-param>
			<xsl:with-param name="v" select="f:Nazwa"/>
		</xsl:call-template>
	</xsl:template>

	<!-- TAdres: country code, two address lines, GLN. -->
	<xsl:template match="f:Adres | f:AdresKoresp | f:AdresPrzewoznika | f:WysylkaZ | f:WysylkaPrzez | f:WysylkaDo">
		<dt>
			<xsl:choose>
				<xsl:when test="self::f:AdresKoresp">Correspondence address</xsl:when>
				<xsl:when test="self::f:WysylkaZ">Shipped from</xsl:when>
				<xsl:when test="self::f:WysylkaPrzez">Shipped via</xsl:when>
				<xsl:when test="self::f:WysylkaDo">Shipped to</xsl:when>
				<xsl:otherwise>Address</xsl:otherwise>
			</xsl:choose>
		</dt>
		<dd class="invoice-address">
			<xsl:value-of select="f:AdresL1"/>
			<xsl:if test="f:AdresL2">
				<br/>
				<xsl:value-of select="f:AdresL2"/>
			</xsl:if>
			<br/>
			<xsl:value-of select="f:KodKraju"/>
			<xsl:if test="f:GLN">
				<br/>
				<xsl:text>GLN </xsl:text>
				<xsl:value-of select="f:GLN"/>
			</xsl:if>
		</dd>
	</xsl:template>

	<!-- ===== Invoice data (Fa) ===== -->

	<xsl:template match="f:Fa">
		<section class="invoice-data">
			<h3>Invoice data</h3>
			<dl class="invoice-fields">
				<xsl:call-template name="field">
					<xsl:with-param name="label">Invoice number</xsl:with-param>
					<xsl:with-param name="v" select="f:P_2"/>
				</xsl:call-template>
				<xsl:if test="f:RodzajFaktury">
					<dt>Kind</dt>
					<dd>
						<xsl:choose>
							<xsl:when test="f:RodzajFaktury = 'VAT'">VAT invoice</xsl:when>
							<xsl:when test="f:RodzajFaktury = 'KOR'">Corrective invoice</xsl:when>
							<xsl:when test="f:RodzajFaktury = 'ZAL'">Advance payment invoice</xsl:when>
							<xsl:when test="f:RodzajFaktury = 'ROZ'">Settlement invoice (after advance payments)</xsl:when>
							<xsl:when test="f:RodzajFaktury = 'UPR'">Simplified invoice</xsl:when>
							<xsl:when test="f:RodzajFaktury = 'KOR_ZAL'">Correction of an advance payment invoice</xsl:when>
							<xsl:when test="f:RodzajFaktury = 'KOR_ROZ'">Correction of a settlement invoice</xsl:when>
							<xsl:otherwise><xsl:value-of select="f:RodzajFaktury"/></xsl:otherwise>
						</xsl:choose>
					</dd>
				</xsl:if>
				<xsl:call-template name="field">
					<xsl:with-param name="label">Currency</xsl:with-param>
					<xsl:with-param name="v" select="f:KodWaluty"/>
				</xsl:call-template>
				<xsl:call-template name="field">
					<xsl:with-param name="label">Issue date</xsl:with-param>
					<xsl:with-param name="v" select="f:P_1"/>
				</xsl:call-template>
				<xsl:call-template name="field">
					<xsl:with-param name="label">Place of issue</xsl:with-param>
					<xsl:with-param name="v" select="f:P_1M"/>
				</xsl:call-template>
				<xsl:call-template name="field">
					<xsl:with-param name="label">Date of supply or payment</xsl:with-param>
					<xsl:with-param name="v" select="f:P_6"/>
				</xsl:call-template>
				<xsl:if test="f:OkresFa">
					<dt>Period covered</dt>
					<dd>
						<xsl:value-of select="f:OkresFa/f:P_6_Od"/>
						<xsl:text> to </xsl:text>
						<xsl:value-of select="f:OkresFa/f:P_6_Do"/>
					</dd>
				</xsl:if>
				<xsl:for-each select="f:WZ">
					<xsl:call-template name="field">
						<xsl:with-param name="label">Goods issue note (WZ)</xsl:with-param>
						<xsl:with-param name="v" select="."/>
					</xsl:call-template>
				</xsl:for-each>
				<xsl:call-template name="field">
					<xsl:with-param name="label">Exchange rate for VAT</xsl:with-param>
					<xsl:with-param name="v" select="f:KursWalutyZ"/>
				</xsl:call-template>
				<xsl:if test="f:FP = '1'">
					<dt>Receipt invoice</dt>
					<dd>Yes (art. 109 sec. 3d)</dd>
				</xsl:if>
				<xsl:if test="f:TP = '1'">
					<dt>Related parties</dt>
					<dd>Yes</dd>
				</xsl:if>
				<xsl:if test="f:ZwrotAkcyzy = '1'">
					<dt>Excise refund for farmers</dt>
					<dd>Yes</dd>
				</xsl:if>
			</dl>
			<xsl:call-template name="correction"/>
			<xsl:if test="f:ZaliczkaCzesciowa">
				<table class="invoice-advances">
					<caption>Advance payments received</caption>
					<thead><tr><th>Date</th><th>Amount</th><th>Exchange rate</th></tr></thead>
					<tbody>
						<xsl:for-each select="f:ZaliczkaCzesciowa">
							<tr>
								<td><xsl:value-of select="f:P_6Z"/></td>
								<td class="amount"><xsl:value-of select="f:P_15Z"/></td>
								<td><xsl:value-of select="f:KursWalutyZW"/></td>
							</tr>
						</xsl:for-each>
					</tbody>
				</table>
			</xsl:if>
			<xsl:if test="f:FakturaZaliczkowa">
				<dl class="invoice-fields invoice-advance-invoices">
					<xsl:for-each select="f:FakturaZaliczkowa">
						<dt>Advance invoice</dt>
						<dd>
							<xsl:choose>
								<xsl:when test="f:NrKSeFFaZaliczkowej">
									<xsl:text>KSeF number </xsl:text>
									<xsl:value-of select="f:NrKSeFFaZaliczkowej"/>
								</xsl:when>
								<xsl:otherwise>
									<xsl:value-of select="f:NrFaZaliczkowej"/>
									<xsl:text> (issued outside KSeF)</xsl:text>
								</xsl:otherwise>
							</xsl:choose>
						</dd>
					</xsl:for-each>
				</dl>
			</xsl:if>
			<xsl:call-template name="lines"/>
			<xsl:call-template name="totals"/>
			<xsl:apply-templates select="f:Rozliczenie"/>
			<xsl:apply-templates select="f:Adnotacje"/>
			<xsl:if test="f:DodatkowyOpis">
				<table class="invoice-notes">
					<caption>Additional information</caption>
					<thead><tr><th>Line</th><th>Key</th><th>Value</th></tr></thead>
					<tbody>
						<xsl:for-each select="f:DodatkowyOpis">
							<tr>
								<td><xsl:value-of select="f:NrWiersza"/></td>
								<td><xsl:value-of select="f:Klucz"/></td>
								<td><xsl:value-of select="f:Wartosc"/></td>
							</tr>
						</xsl:for-each>
					</tbody>
				</table>
			</xsl:if>
			<xsl:apply-templates select="f:Platnosc"/>
			<xsl:apply-templates select="f:WarunkiTransakcji"/>
			<xsl:apply-templates select="f:Zamowienie"/>
		</section>
	</xsl:template>

	<!-- A corrective invoice (KOR, KOR_ZAL, KOR_ROZ): why, with what
	     effect, which invoices it corrects, and the parties' data as they
	     stood on the corrected invoice. -->
	<xsl:template name="correction">
		<xsl:if test="f:DaneFaKorygowanej or f:PrzyczynaKorekty or f:TypKorekty">
			<section class="invoice-correction">
				<h4>Correction</h4>
				<dl class="invoice-fields">
					<xsl:call-template name="field">
						<xsl:with-param name="label">Reason</xsl:with-param>
						<xsl:with-param name="v" select="f:PrzyczynaKorekty"/>
					</xsl:call-template>
					<xsl:if test="f:TypKorekty">
						<dt>Takes effect</dt>
						<dd>
							<xsl:choose>
								<xsl:when test="f:TypKorekty = '1'">On the date of the original invoice</xsl:when>
								<xsl:when test="f:TypKorekty = '2'">On the date of this corrective invoice</xsl:when>
								<xsl:when test="f:TypKorekty = '3'">On another date</xsl:when>
								<xsl:otherwise><xsl:value-of select="f:TypKorekty"/></xsl:otherwise>
							</xsl:choose>
						</dd>
					</xsl:if>
					<xsl:call-template name="field">
						<xsl:with-param name="label">Period corrected</xsl:with-param>
						<xsl:with-param name="v" select="f:OkresFaKorygowanej"/>
					</xsl:call-template>
					<xsl:call-template name="field">
						<xsl:with-param name="label">Correct number of the corrected invoice</xsl:with-param>
						<xsl:with-param name="v" select="f:NrFaKorygowany"/>
					</xsl:call-template>
					<xsl:call-template name="field">
						<xsl:with-param name="label">Amount paid before the correction</xsl:with-param>
						<xsl:with-param name="v" select="f:P_15ZK"/>
					</xsl:call-template>
					<xsl:call-template name="field">
						<xsl:with-param name="label">Exchange rate before the correction</xsl:with-param>
						<xsl:with-param name="v" select="f:KursWalutyZK"/>
					</xsl:call-template>
				</dl>
				<xsl:if test="f:DaneFaKorygowanej">
					<table class="invoice-corrected">
						<caption>Corrected invoices</caption>
						<thead><tr><th>Issue date</th><th>Number</th><th>KSeF number</th></tr></thead>
						<tbody>
							<xsl:for-each select="f:DaneFaKorygowanej">
								<tr>
									<td><xsl:value-of select="f:DataWystFaKorygowanej"/></td>
									<td><xsl:value-of select="f:NrFaKorygowanej"/></td>
									<td>
										<xsl:choose>
											<xsl:when test="f:NrKSeFFaKorygowanej">
												<xsl:value-of select="f:NrKSeFFaKorygowanej"/>
											</xsl:when>
											<xsl:otherwise>Issued outside KSeF</xsl:otherwise>
										</xsl:choose>
									</td>
								</tr>
							</xsl:for-each>
						</tbody>
					</table>
				</xsl:if>
				<xsl:for-each select="f:Podmiot1K">
					<section class="invoice-party invoice-seller-corrected">
						<h4>Seller as on the corrected invoice</h4>
						<dl class="invoice-fields">
							<xsl:call-template name="field">
								<xsl:with-param name="label">EU VAT prefix</xsl:with-param>
								<xsl:with-param name="v" select="f:PrefiksPodatnika"/>
							</xsl:call-template>
							<xsl:call-template name="party-body"/>
						</dl>
					</section>
				</xsl:for-each>
				<xsl:for-each select="f:Podmiot2K">
					<section class="invoice-party invoice-buyer-corrected">
						<h4>Buyer as on the corrected invoice</h4>
						<dl class="invoice-fields">
							<xsl:call-template name="party-body"/>
							<xsl:call-template name="field">
								<xsl:with-param name="label">Buyer ID (for corrections)</xsl:with-param>
								<xsl:with-param name="v" select="f:IDNabywcy"/>
							</xsl:call-template>
						</dl>
					</section>
				</xsl:for-each>
			</section>
		</xsl:if>
	</xsl:template>

	<!-- ===== Lines (FaWiersz) ===== -->

	<xsl:template name="lines">
		<xsl:if test="f:FaWiersz">
			<table class="invoice-lines">
				<caption>Lines</caption>
				<thead>
					<tr>
						<th>No.</th>
						<th>Goods or service</th>
						<th>Unit</th>
						<th>Quantity</th>
						<th>Unit price (net)</th>
						<th>Unit price (gross)</th>
						<th>Discount</th>
						<th>Value (net)</th>
						<th>Value (gross)</th>
						<th>VAT rate</th>
					</tr>
				</thead>
				<tbody>
					<xsl:apply-templates select="f:FaWiersz"/>
				</tbody>
			</table>
		</xsl:if>
	</xsl:template>

	<xsl:template match="f:FaWiersz">
		<tr>
			<xsl:attribute name="class">
				<xsl:choose>
					<xsl:when test="f:StanPrzed = '1'">invoice-line invoice-line-before</xsl:when>
					<xsl:otherwise>invoice-line</xsl:otherwise>
				</xsl:choose>
			</xsl:attribute>
			<td><xsl:value-of select="f:NrWierszaFa"/></td>
			<td>
				<span class="invoice-line-name"><xsl:value-of select="f:P_7"/></span>
				<xsl:if test="f:StanPrzed = '1'">
					<span class="invoice-line-note"> (before the correction)</span>
				</xsl:if>
				<xsl:call-template name="line-code">
					<xsl:with-param name="label">Index</xsl:with-param>
					<xsl:with-param name="v" select="f:Indeks"/>
				</xsl:call-template>
				<xsl:call-template name="line-code">
					<xsl:with-param name="label">GTIN</xsl:with-param>
					<xsl:with-param name="v" select="f:GTIN"/>
				</xsl:call-template>
				<xsl:call-template name="line-code">
					<xsl:with-param name="label">PKWiU</xsl:with-param>
					<xsl:with-param name="v" select="f:PKWiU"/>
				</xsl:call-template>
				<xsl:call-template name="line-code">
					<xsl:with-param name="label">CN</xsl:with-param>
					<xsl:with-param name="v" select="f:CN"/>
				</xsl:call-template>
				<xsl:call-template name="line-code">
					<xsl:with-param name="label">PKOB</xsl:with-param>
					<xsl:with-param name="v" select="f:PKOB"/>
				</xsl:call-template>
				<xsl:call-template name="line-code">
					<xsl:with-param name="label">GTU</xsl:with-param>
					<xsl:with-param name="v" select="f:GTU"/>
				</xsl:call-template>
				<xsl:call-template name="line-code">
					<xsl:with-param name="label">Procedure</xsl:with-param>
					<xsl:with-param name="v" select="f:Procedura"/>
				</xsl:call-template>
				<xsl:call-template name="line-code">
					<xsl:with-param name="label">Date of supply</xsl:with-param>
					<xsl:with-param name="v" select="f:P_6A"/>
				</xsl:call-template>
				<xsl:call-template name="line-code">
					<xsl:with-param name="label">Excise included</xsl:with-param>
					<xsl:with-param name="v" select="f:KwotaAkcyzy"/>
				</xsl:call-template>
				<xsl:call-template name="line-code">
					<xsl:with-param name="label">VAT</xsl:with-param>
					<xsl:with-param name="v" select="f:P_11Vat"/>
				</xsl:call-template>
				<xsl:call-template name="line-code">
					<xsl:with-param name="label">Exchange rate</xsl:with-param>
					<xsl:with-param name="v" select="f:KursWaluty"/>
				</xsl:call-template>
			</td>
			<td><xsl:value-of select="f:P_8A"/></td>
			<td class="amount"><xsl:value-of select="f:P_8B"/></td>
			<td class="amount"><xsl:value-of select="f:P_9A"/></td>
			<td class="amount"><xsl:value-of select="f:P_9B"/></td>
			<td class="amount"><xsl:value-of select="f:P_10"/></td>
			<td class="amount"><xsl:value-of select="f:P_11"/></td>
			<td class="amount"><xsl:value-of select="f:P_11A"/></td>
			<td>
				<xsl:call-template name="rate">
					<xsl:with-param name="v" select="f:P_12"/>
				</xsl:call-template>
				<xsl:if test="f:P_12_XII">
					<xsl:value-of select="f:P_12_XII"/>
					<xsl:text>% (OSS)</xsl:text>
				</xsl:if>
				<xsl:if test="f:P_12_Zal_15 = '1'">
					<span class="invoice-line-note"> (annex 15 goods)</span>
				</xsl:if>
			</td>
		</tr>
	</xsl:template>

	<!-- A secondary code under a line's name. -->
	<xsl:template name="line-code">
		<xsl:param name="label"/>
		<xsl:param name="v"/>
		<xsl:if test="string($v) != ''">
			<br/>
			<span class="invoice-line-code">
				<xsl:value-of select="$label"/>
				<xsl:text>: </xsl:text>
				<xsl:value-of select="$v"/>
			</span>
		</xsl:if>
	</xsl:template>

	<!-- TStawkaPodatku: a percentage, or a code in words. -->
	<xsl:template name="rate">
		<xsl:param name="v"/>
		<xsl:choose>
			<xsl:when test="string($v) = ''"/>
			<xsl:when test="$v = '0 KR'">0% (domestic)</xsl:when>
			<xsl:when test="$v = '0 WDT'">0% (intra-EU supply)</xsl:when>
			<xsl:when test="$v = '0 EX'">0% (export)</xsl:when>
			<xsl:when test="$v = 'zw'">Exempt</xsl:when>
			<xsl:when test="$v = 'oo'">Reverse charge</xsl:when>
			<xsl:when test="$v = 'np I'">Not taxable in Poland</xsl:when>
			<xsl:when test="$v = 'np II'">Not taxable in Poland (art. 100 sec. 1 item 4 services)</xsl:when>
			<xsl:when test="string(number($v)) != 'NaN'">
				<xsl:value-of select="$v"/>
				<xsl:text>%</xsl:text>
			</xsl:when>
			<xsl:otherwise><xsl:value-of select="$v"/></xsl:otherwise>
		</xsl:choose>
	</xsl:template>

	<!-- ===== Totals (P_13_x, P_14_x, P_15) ===== -->

	<xsl:template name="totals">
		<table class="invoice-totals">
			<caption>Totals by VAT rate</caption>
			<thead>
				<tr><th>Rate</th><th>Net</th><th>VAT</th><th>VAT in PLN</th></tr>
			</thead>
			<tbody>
				<xsl:call-template name="total">
					<xsl:with-param name="label">Standard rate (23% or 22%)</xsl:with-param>
					<xsl:with-param name="net" select="f:P_13_1"/>
					<xsl:with-param name="vat" select="f:P_14_1"/>
					<xsl:with-param name="pln" select="f:P_14_1W"/>
				</xsl:call-template>
				<xsl:call-template name="total">
					<xsl:with-param name="label">First reduced rate (8% or 7%)</xsl:with-param>
					<xsl:with-param name="net" select="f:P_13_2"/>
					<xsl:with-param name="vat" select="f:P_14_2"/>
					<xsl:with-param name="pln" select="f:P_14_2W"/>
				</xsl:call-template>
				<xsl:call-template name="total">
					<xsl:with-param name="label">Second reduced rate (5%)</xsl:with-param>
					<xsl:with-param name="net" select="f:P_13_3"/>
					<xsl:with-param name="vat" select="f:P_14_3"/>
					<xsl:with-param name="pln" select="f:P_14_3W"/>
				</xsl:call-template>
				<xsl:call-template name="total">
					<xsl:with-param name="label">Flat rate for taxis</xsl:with-param>
					<xsl:with-param name="net" select="f:P_13_4"/>
					<xsl:with-param name="vat" select="f:P_14_4"/>
					<xsl:with-param name="pln" select="f:P_14_4W"/>
				</xsl:call-template>
				<xsl:call-template name="total">
					<xsl:with-param name="label">Special procedure (OSS)</xsl:with-param>
					<xsl:with-param name="net" select="f:P_13_5"/>
					<xsl:with-param name="vat" select="f:P_14_5"/>
				</xsl:call-template>
				<xsl:call-template name="total">
					<xsl:with-param name="label">0% (domestic)</xsl:with-param>
					<xsl:with-param name="net" select="f:P_13_6_1"/>
				</xsl:call-template>
				<xsl:call-template name="total">
					<xsl:with-param name="label">0% (intra-EU supply)</xsl:with-param>
					<xsl:with-param name="net" select="f:P_13_6_2"/>
				</xsl:call-template>
				<xsl:call-template name="total">
					<xsl:with-param name="label">0% (export)</xsl:with-param>
					<xsl:with-param name="net" select="f:P_13_6_3"/>
				</xsl:call-template>
				<xsl:call-template name="total">
					<xsl:with-param name="label">Exempt</xsl:with-param>
					<xsl:with-param name="net" select="f:P_13_7"/>
				</xsl:call-template>
				<xsl:call-template name="total">
					<xsl:with-param name="label">Supply outside Poland</xsl:with-param>
					<xsl:with-param name="net" select="f:P_13_8"/>
				</xsl:call-template>
				<xsl:call-template name="total">
					<xsl:with-param name="label">Services of art. 100 sec. 1 item 4</xsl:with-param>
					<xsl:with-param name="net" select="f:P_13_9"/>
				</xsl:call-template>
				<xsl:call-template name="total">
					<xsl:with-param name="label">Reverse charge</xsl:with-param>
					<xsl:with-param name="net" select="f:P_13_10"/>
				</xsl:call-template>
				<xsl:call-template name="total">
					<xsl:with-param name="label">Margin scheme</xsl:with-param>
					<xsl:with-param name="net" select="f:P_13_11"/>
				</xsl:call-template>
			</tbody>
			<tfoot>
				<tr class="invoice-total-due">
					<th>Total due</th>
					<td class="amount" colspan="3">
						<xsl:value-of select="f:P_15"/>
						<xsl:text> </xsl:text>
						<xsl:value-of select="f:KodWaluty"/>
					</td>
				</tr>
			</tfoot>
		</table>
	</xsl:template>

	<xsl:template name="total">
		<xsl:param name="label"/>
		<xsl:param name="net"/>
		<xsl:param name="vat"/>
		<xsl:param name="pln"/>
		<xsl:if test="$net or $vat">
			<tr>
				<th><xsl:value-of select="$label"/></th>
				<td class="amount"><xsl:value-of select="$net"/></td>
				<td class="amount"><xsl:value-of select="$vat"/></td>
				<td class="amount"><xsl:value-of select="$pln"/></td>
			</tr>
		</xsl:if>
	</xsl:template>

	<!-- Charges and deductions outside P_15 (Rozliczenie). -->
	<xsl:template match="f:Rozliczenie">
		<table class="invoice-settlement">
			<caption>Settlement</caption>
			<tbody>
				<xsl:for-each select="f:Obciazenia">
					<tr>
						<th>Charge</th>
						<td><xsl:value-of select="f:Powod"/></td>
						<td class="amount"><xsl:value-of select="f:Kwota"/></td>
					</tr>
				</xsl:for-each>
				<xsl:if test="f:SumaObciazen">
					<tr><th>Charges in total</th><td/><td class="amount"><xsl:value-of select="f:SumaObciazen"/></td></tr>
				</xsl:if>
				<xsl:for-each select="f:Odliczenia">
					<tr>
						<th>Deduction</th>
						<td><xsl:value-of select="f:Powod"/></td>
						<td class="amount"><xsl:value-of select="f:Kwota"/></td>
					</tr>
				</xsl:for-each>
				<xsl:if test="f:SumaOdliczen">
					<tr><th>Deductions in total</th><td/><td class="amount"><xsl:value-of select="f:SumaOdliczen"/></td></tr>
				</xsl:if>
				<xsl:if test="f:DoZaplaty">
					<tr><th>To pay</th><td/><td class="amount"><xsl:value-of select="f:DoZaplaty"/></td></tr>
				</xsl:if>
				<xsl:if test="f:DoRozliczenia">
					<tr><th>Overpaid, to settle or refund</th><td/><td class="amount"><xsl:value-of select="f:DoRozliczenia"/></td></tr>
				</xsl:if>
			</tbody>
		</table>
	</xsl:template>

	<!-- ===== Annotations (Adnotacje) in words ===== -->

	<xsl:template match="f:Adnotacje">
		<section class="invoice-annotations">
			<h4>Annotations</h4>
			<dl class="invoice-fields">
				<xsl:call-template name="yes-no">
					<xsl:with-param name="label">Cash accounting (metoda kasowa)</xsl:with-param>
					<xsl:with-param name="v" select="f:P_16"/>
				</xsl:call-template>
				<xsl:call-template name="yes-no">
					<xsl:with-param name="label">Self-billing (samofakturowanie)</xsl:with-param>
					<xsl:with-param name="v" select="f:P_17"/>
				</xsl:call-template>
				<xsl:call-template name="yes-no">
					<xsl:with-param name="label">Reverse charge (odwrotne obciążenie)</xsl:with-param>
					<xsl:with-param name="v" select="f:P_18"/>
				</xsl:call-template>
				<xsl:call-template name="yes-no">
					<xsl:with-param name="label">Split payment mechanism (mechanizm podzielonej płatności)</xsl:with-param>
					<xsl:with-param name="v" select="f:P_18A"/>
				</xsl:call-template>
				<xsl:for-each select="f:Zwolnienie">
					<dt>VAT exemption</dt>
					<dd>
						<xsl:choose>
							<xsl:when test="f:P_19 = '1'">
								<xsl:text>Yes</xsl:text>
								<xsl:if test="f:P_19A">
									<xsl:text>; under Polish law: </xsl:text>
									<xsl:value-of select="f:P_19A"/>
								</xsl:if>
								<xsl:if test="f:P_19B">
									<xsl:text>; under Directive 2006/112/EC: </xsl:text>
									<xsl:value-of select="f:P_19B"/>
								</xsl:if>
								<xsl:if test="f:P_19C">
									<xsl:text>; other legal basis: </xsl:text>
									<xsl:value-of select="f:P_19C"/>
								</xsl:if>
							</xsl:when>
							<xsl:otherwise>No</xsl:otherwise>
						</xsl:choose>
					</dd>
				</xsl:for-each>
				<xsl:for-each select="f:NoweSrodkiTransportu">
					<dt>Intra-EU supply of new means of transport</dt>
					<dd>
						<xsl:choose>
							<xsl:when test="f:P_22 = '1'">Yes</xsl:when>
							<xsl:otherwise>No</xsl:otherwise>
						</xsl:choose>
					</dd>
					<xsl:call-template name="yes-no">
						<xsl:with-param name="label">Obligation of art. 42 sec. 5</xsl:with-param>
						<xsl:with-param name="v" select="f:P_42_5"/>
					</xsl:call-template>
					<xsl:for-each select="f:NowySrodekTransportu">
						<dt>New means of transport</dt>
						<dd>
							<xsl:text>line </xsl:text>
							<xsl:value-of select="f:P_NrWierszaNST"/>
							<xsl:text>, first used </xsl:text>
							<xsl:value-of select="f:P_22A"/>
							<xsl:if test="f:P_22BMK or f:P_22BMD">
								<xsl:text>, </xsl:text>
								<xsl:value-of select="f:P_22BMK"/>
								<xsl:text> </xsl:text>
								<xsl:value-of select="f:P_22BMD"/>
							</xsl:if>
							<xsl:if test="f:P_22BNR">
								<xsl:text>, registration </xsl:text>
								<xsl:value-of select="f:P_22BNR"/>
							</xsl:if>
							<xsl:if test="f:P_22B">
								<xsl:text>, mileage </xsl:text>
								<xsl:value-of select="f:P_22B"/>
							</xsl:if>
							<xsl:if test="f:P_22C">
								<xsl:text>, hours used (vessel) </xsl:text>
								<xsl:value-of select="f:P_22C"/>
							</xsl:if>
							<xsl:if test="f:P_22D">
								<xsl:text>, hours used (aircraft) </xsl:text>
								<xsl:value-of select="f:P_22D"/>
							</xsl:if>
						</dd>
					</xsl:for-each>
				</xsl:for-each>
				<xsl:call-template name="yes-no">
					<xsl:with-param name="label">Simplified triangular procedure</xsl:with-param>
					<xsl:with-param name="v" select="f:P_23"/>
				</xsl:call-template>
				<xsl:for-each select="f:PMarzy">
					<dt>Margin scheme</dt>
					<dd>
						<xsl:choose>
							<xsl:when test="f:P_PMarzy = '1'">
								<xsl:text>Yes</xsl:text>
								<xsl:if test="f:P_PMarzy_2 = '1'">: travel agencies</xsl:if>
								<xsl:if test="f:P_PMarzy_3_1 = '1'">: second-hand goods</xsl:if>
								<xsl:if test="f:P_PMarzy_3_2 = '1'">: works of art</xsl:if>
								<xsl:if test="f:P_PMarzy_3_3 = '1'">: collectors' items and antiques</xsl:if>
							</xsl:when>
							<xsl:otherwise>No</xsl:otherwise>
						</xsl:choose>
					</dd>
				</xsl:for-each>
			</dl>
		</section>
	</xsl:template>

	<!-- ===== Payment (Platnosc) ===== -->

	<xsl:template match="f:Platnosc">
		<section class="invoice-payment">
			<h4>Payment</h4>
			<dl class="invoice-fields">
				<xsl:if test="f:Zaplacono = '1'">
					<dt>Paid</dt>
					<dd>
						<xsl:text>Yes</xsl:text>
						<xsl:if test="f:DataZaplaty">
							<xsl:text>, on </xsl:text>
							<xsl:value-of select="f:DataZaplaty"/>
						</xsl:if>
					</dd>
				</xsl:if>
				<xsl:if test="f:ZnacznikZaplatyCzesciowej">
					<dt>Paid in part</dt>
					<dd>
						<xsl:choose>
							<xsl:when test="f:ZnacznikZaplatyCzesciowej = '1'">Yes, in part</xsl:when>
							<xsl:otherwise>Yes, in full, in parts</xsl:otherwise>
						</xsl:choose>
					</dd>
				</xsl:if>
				<xsl:for-each select="f:ZaplataCzesciowa">
					<dt>Part payment</dt>
					<dd>
						<xsl:value-of select="f:KwotaZaplatyCzesciowej"/>
						<xsl:text> on </xsl:text>
						<xsl:value-of select="f:DataZaplatyCzesciowej"/>
						<xsl:text>, </xsl:text>
						<xsl:call-template name="payment-form"/>
					</dd>
				</xsl:for-each>
				<xsl:for-each select="f:TerminPlatnosci">
					<dt>Due</dt>
					<dd>
						<xsl:value-of select="f:Termin"/>
						<xsl:if test="f:TerminOpis">
							<xsl:if test="f:Termin"><xsl:text>; </xsl:text></xsl:if>
							<xsl:value-of select="f:TerminOpis/f:Ilosc"/>
							<xsl:text> </xsl:text>
							<xsl:value-of select="f:TerminOpis/f:Jednostka"/>
							<xsl:text> after </xsl:text>
							<xsl:value-of select="f:TerminOpis/f:ZdarzeniePoczatkowe"/>
						</xsl:if>
					</dd>
				</xsl:for-each>
				<xsl:if test="f:FormaPlatnosci or f:PlatnoscInna">
					<dt>Form of payment</dt>
					<dd><xsl:call-template name="payment-form"/></dd>
				</xsl:if>
				<xsl:if test="f:Skonto">
					<dt>Discount for early payment</dt>
					<dd>
						<xsl:value-of select="f:Skonto/f:WysokoscSkonta"/>
						<xsl:text>; conditions: </xsl:text>
						<xsl:value-of select="f:Skonto/f:WarunkiSkonta"/>
					</dd>
				</xsl:if>
				<!-- Text only: a link from an invoice is never made
				     clickable. -->
				<xsl:call-template name="field">
					<xsl:with-param name="label">Payment link</xsl:with-param>
					<xsl:with-param name="v" select="f:LinkDoPlatnosci"/>
				</xsl:call-template>
				<xsl:call-template name="field">
					<xsl:with-param name="label">KSeF payment identifier</xsl:with-param>
					<xsl:with-param name="v" select="f:IPKSeF"/>
				</xsl:call-template>
			</dl>
			<xsl:if test="f:RachunekBankowy or f:RachunekBankowyFaktora">
				<table class="invoice-accounts">
					<caption>Bank accounts</caption>
					<thead>
						<tr><th>Account</th><th>SWIFT</th><th>Bank</th><th>Description</th><th>Kind</th></tr>
					</thead>
					<tbody>
						<xsl:apply-templates select="f:RachunekBankowy | f:RachunekBankowyFaktora"/>
					</tbody>
				</table>
			</xsl:if>
		</section>
	</xsl:template>

	<!-- TFormaPlatnosci in words, or the other form's description. -->
	<xsl:template name="payment-form">
		<xsl:choose>
			<xsl:when test="f:FormaPlatnosci = '1'">Cash</xsl:when>
			<xsl:when test="f:FormaPlatnosci = '2'">Card</xsl:when>
			<xsl:when test="f:FormaPlatnosci = '3'">Voucher</xsl:when>
			<xsl:when test="f:FormaPlatnosci = '4'">Cheque</xsl:when>
			<xsl:when test="f:FormaPlatnosci = '5'">Credit</xsl:when>
			<xsl:when test="f:FormaPlatnosci = '6'">Bank transfer</xsl:when>
			<xsl:when test="f:FormaPlatnosci = '7'">Mobile payment</xsl:when>
			<xsl:when test="f:PlatnoscInna = '1'">
				<xsl:text>Other: </xsl:text>
				<xsl:value-of select="f:OpisPlatnosci"/>
			</xsl:when>
			<xsl:otherwise><xsl:value-of select="f:FormaPlatnosci"/></xsl:otherwise>
		</xsl:choose>
	</xsl:template>

	<xsl:template match="f:RachunekBankowy | f:RachunekBankowyFaktora">
		<tr>
			<td class="invoice-account-number"><xsl:value-of select="f:NrRB"/></td>
			<td><xsl:value-of select="f:SWIFT"/></td>
			<td><xsl:value-of select="f:NazwaBanku"/></td>
			<td><xsl:value-of select="f:OpisRachunku"/></td>
			<td>
				<xsl:if test="self::f:RachunekBankowyFaktora">Factor's account</xsl:if>
				<xsl:if test="f:RachunekWlasnyBanku">
					<xsl:if test="self::f:RachunekBankowyFaktora"><xsl:text>; </xsl:text></xsl:if>
					<xsl:text>Bank's own account</xsl:text>
				</xsl:if>
			</td>
		</tr>
	</xsl:template>

	<!-- ===== Transaction terms (WarunkiTransakcji) ===== -->

	<xsl:template match="f:WarunkiTransakcji">
		<section class="invoice-terms">
			<h4>Transaction terms</h4>
			<dl class="invoice-fields">
				<xsl:for-each select="f:Umowy">
					<dt>Contract</dt>
					<dd>
						<xsl:value-of select="f:NrUmowy"/>
						<xsl:if test="f:DataUmowy">
							<xsl:text> of </xsl:text>
							<xsl:value-of select="f:DataUmowy"/>
						</xsl:if>
					</dd>
				</xsl:for-each>
				<xsl:for-each select="f:Zamowienia">
					<dt>Order</dt>
					<dd>
						<xsl:value-of select="f:NrZamowienia"/>
						<xsl:if test="f:DataZamowienia">
							<xsl:text> of </xsl:text>
							<xsl:value-of select="f:DataZamowienia"/>
						</xsl:if>
					</dd>
				</xsl:for-each>
				<xsl:for-each select="f:NrPartiiTowaru">
					<xsl:call-template name="field">
						<xsl:with-param name="label">Batch number</xsl:with-param>
						<xsl:with-param name="v" select="."/>
					</xsl:call-template>
				</xsl:for-each>
				<xsl:call-template name="field">
					<xsl:with-param name="label">Delivery terms</xsl:with-param>
					<xsl:with-param name="v" select="f:WarunkiDostawy"/>
				</xsl:call-template>
				<xsl:if test="f:KursUmowny">
					<dt>Contractual exchange rate</dt>
					<dd>
						<xsl:value-of select="f:KursUmowny"/>
						<xsl:text> </xsl:text>
						<xsl:value-of select="f:WalutaUmowna"/>
					</dd>
				</xsl:if>
				<xsl:for-each select="f:Transport">
					<dt>Transport</dt>
					<dd>
						<xsl:choose>
							<xsl:when test="f:RodzajTransportu = '1'">Sea</xsl:when>
							<xsl:when test="f:RodzajTransportu = '2'">Rail</xsl:when>
							<xsl:when test="f:RodzajTransportu = '3'">Road</xsl:when>
							<xsl:when test="f:RodzajTransportu = '4'">Air</xsl:when>
							<xsl:when test="f:RodzajTransportu = '5'">Postal consignment</xsl:when>
							<xsl:when test="f:RodzajTransportu = '7'">Fixed transport installations</xsl:when>
							<xsl:when test="f:RodzajTransportu = '8'">Inland waterway</xsl:when>
							<xsl:when test="f:TransportInny = '1'"><xsl:value-of select="f:OpisInnegoTransportu"/></xsl:when>
							<xsl:otherwise><xsl:value-of select="f:RodzajTransportu"/></xsl:otherwise>
						</xsl:choose>
						<xsl:if test="f:Przewoznik/f:DaneIdentyfikacyjne/f:Nazwa">
							<xsl:text>; carrier </xsl:text>
							<xsl:value-of select="f:Przewoznik/f:DaneIdentyfikacyjne/f:Nazwa"/>
						</xsl:if>
						<xsl:if test="f:NrZleceniaTransportu">
							<xsl:text>; order </xsl:text>
							<xsl:value-of select="f:NrZleceniaTransportu"/>
						</xsl:if>
					</dd>
					<xsl:apply-templates select="f:WysylkaZ | f:WysylkaPrzez | f:WysylkaDo"/>
				</xsl:for-each>
				<xsl:if test="f:PodmiotPosredniczacy = '1'">
					<dt>Supply by an intermediary (art. 22 sec. 2d)</dt>
					<dd>Yes</dd>
				</xsl:if>
			</dl>
		</section>
	</xsl:template>

	<!-- ===== The order of an advance invoice (Zamowienie) ===== -->

	<xsl:template match="f:Zamowienie">
		<table class="invoice-order">
			<caption>Order or contract</caption>
			<thead>
				<tr><th>No.</th><th>Goods or service</th><th>Unit</th><th>Quantity</th><th>Unit price (net)</th><th>Value (net)</th><th>VAT</th><th>VAT rate</th></tr>
			</thead>
			<tbody>
				<xsl:for-each select="f:ZamowienieWiersz">
					<tr>
						<td><xsl:value-of select="f:NrWierszaZam"/></td>
						<td><xsl:value-of select="f:P_7Z"/></td>
						<td><xsl:value-of select="f:P_8AZ"/></td>
						<td class="amount"><xsl:value-of select="f:P_8BZ"/></td>
						<td class="amount"><xsl:value-of select="f:P_9AZ"/></td>
						<td class="amount"><xsl:value-of select="f:P_11NettoZ"/></td>
						<td class="amount"><xsl:value-of select="f:P_11VatZ"/></td>
						<td>
							<xsl:call-template name="rate">
								<xsl:with-param name="v" select="f:P_12Z"/>
							</xsl:call-template>
						</td>
					</tr>
				</xsl:for-each>
			</tbody>
			<tfoot>
				<tr>
					<th>Order value (gross)</th>
					<td class="amount" colspan="7"><xsl:value-of select="f:WartoscZamowienia"/></td>
				</tr>
			</tfoot>
		</table>
	</xsl:template>

	<!-- ===== Attachment (Zalacznik) ===== -->

	<xsl:template match="f:Zalacznik">
		<section class="invoice-attachment">
			<h3>Attachment</h3>
			<xsl:for-each select="f:BlokDanych">
				<section class="invoice-attachment-block">
					<xsl:if test="f:ZNaglowek">
						<h4><xsl:value-of select="f:ZNaglowek"/></h4>
					</xsl:if>
					<dl class="invoice-fields">
						<xsl:for-each select="f:MetaDane">
							<dt><xsl:value-of select="f:ZKlucz"/></dt>
							<dd><xsl:value-of select="f:ZWartosc"/></dd>
						</xsl:for-each>
					</dl>
					<xsl:for-each select="f:Tekst/f:Akapit">
						<p><xsl:value-of select="."/></p>
					</xsl:for-each>
					<xsl:for-each select="f:Tabela">
						<table class="invoice-attachment-table">
							<xsl:if test="f:Opis">
								<caption><xsl:value-of select="f:Opis"/></caption>
							</xsl:if>
							<thead>
								<tr>
									<xsl:for-each select="f:TNaglowek/f:Kol">
										<th><xsl:value-of select="f:NKom"/></th>
									</xsl:for-each>
								</tr>
							</thead>
							<tbody>
								<xsl:for-each select="f:Wiersz">
									<tr>
										<xsl:for-each select="f:WKom">
											<td><xsl:value-of select="."/></td>
										</xsl:for-each>
									</tr>
								</xsl:for-each>
							</tbody>
							<xsl:if test="f:Suma">
								<tfoot>
									<tr>
										<xsl:for-each select="f:Suma/f:SKom">
											<td><xsl:value-of select="."/></td>
										</xsl:for-each>
									</tr>
								</tfoot>
							</xsl:if>
						</table>
					</xsl:for-each>
				</section>
			</xsl:for-each>
		</section>
	</xsl:template>

	<!-- ===== Footer (Stopka) ===== -->

	<xsl:template match="f:Stopka">
		<footer class="invoice-footer">
			<xsl:for-each select="f:Informacje/f:StopkaFaktury">
				<p><xsl:value-of select="."/></p>
			</xsl:for-each>
			<xsl:for-each select="f:Rejestry">
				<dl class="invoice-fields invoice-registers">
					<xsl:call-template name="field">
						<xsl:with-param name="label">Full name</xsl:with-param>
						<xsl:with-param name="v" select="f:PelnaNazwa"/>
					</xsl:call-template>
					<xsl:call-template name="field">
						<xsl:with-param name="label">KRS (court register)</xsl:with-param>
						<xsl:with-param name="v" select="f:KRS"/>
					</xsl:call-template>
					<xsl:call-template name="field">
						<xsl:with-param name="label">REGON (statistical number)</xsl:with-param>
						<xsl:with-param name="v" select="f:REGON"/>
					</xsl:call-template>
					<xsl:call-template name="field">
						<xsl:with-param name="label">BDO (waste register)</xsl:with-param>
						<xsl:with-param name="v" select="f:BDO"/>
					</xsl:call-template>
				</dl>
			</xsl:for-each>
		</footer>
	</xsl:template>

</xsl:stylesheet>
