"""SDMX-ML 2.1: the structure message (dataflow, data structure, codelists, concepts) and
structure-specific data, one series per course with its observations by `TIME_PERIOD`.

Written with the standard library's ElementTree rather than `sdmx1`'s writer: the
messages are small and fixed, and loading `sdmx1` (with pandas) costs a worker about
70 MB and 0.3 s; `sdmx1` reads every message in the tests (docs/decisions.md).
"""

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from datetime import datetime
from xml.sax.saxutils import quoteattr

from app.api.sdmx import model
from app.api.sdmx.model import CONCEPT_NAMES, NAMES, VERSION

NS = {
    "mes": "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message",
    "str": "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/structure",
    "com": "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common",
    "ss": "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/data/structurespecific",
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
}
for _prefix, _uri in NS.items():
    ET.register_namespace(_prefix, _uri)
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
PACKAGES = {
    "Codelist": ("codelist", "codelist.Codelist"),
    "ConceptScheme": ("conceptscheme", "conceptscheme.ConceptScheme"),
    "DataStructure": ("datastructure", "datastructure.DataStructureDefinition"),
    "Dataflow": ("datastructure", "datastructure.Dataflow"),
}


def _q(name: str) -> str:
    prefix, _, local = name.partition(":")
    return f"{{{NS[prefix]}}}{local}"


def _el(parent: ET.Element | None, name: str, text: str | None = None, **attrs: str) -> ET.Element:
    tag = _q(name) if ":" in name else name
    node = ET.Element(tag, attrs) if parent is None else ET.SubElement(parent, tag, attrs)
    if text is not None:
        node.text = text
    return node


def _name(parent: ET.Element, text: str) -> None:
    _el(parent, "com:Name", text).set(XML_LANG, "en")


def urn(kind: str, agency: str, id: str) -> str:
    """An artefact's URN: `urn:sdmx:org.sdmx.infomodel.codelist.Codelist=A:CL(1.0)`."""
    return f"urn:sdmx:org.sdmx.infomodel.{PACKAGES[kind][1]}={agency}:{id}({VERSION})"


def _ref(parent: ET.Element, kind: str, agency: str, id: str) -> None:
    package = PACKAGES[kind][0]
    _el(parent, "Ref", id=id, version=VERSION, agencyID=agency, package=package, **{"class": kind})


def _concept_ref(parent: ET.Element, agency: str, concept: str) -> None:
    identity = _el(parent, "str:ConceptIdentity")
    _el(
        identity,
        "Ref",
        id=concept,
        maintainableParentID=model.CONCEPTS,
        maintainableParentVersion=VERSION,
        agencyID=agency,
        package="conceptscheme",
        **{"class": "Concept"},
    )


def _header(root: ET.Element, *, message_id: str, prepared: datetime, agency: str) -> ET.Element:
    header = _el(root, "mes:Header")
    _el(header, "mes:ID", message_id)
    _el(header, "mes:Test", "false")
    _el(header, "mes:Prepared", prepared.isoformat(timespec="seconds").replace("+00:00", "Z"))
    _el(header, "mes:Sender", id=agency)
    return header


def _maintainable(parent: ET.Element, name: str, kind: str, agency: str, id: str) -> ET.Element:
    node = _el(
        parent,
        name,
        id=id,
        agencyID=agency,
        version=VERSION,
        isFinal="true",
        urn=urn(kind, agency, id),
    )
    _name(node, NAMES[id])
    return node


def _codelist(parent: ET.Element, agency: str, id: str, codes: dict[str, str]) -> None:
    node = _maintainable(parent, "str:Codelist", "Codelist", agency, id)
    for code, name in codes.items():
        item_urn = f"urn:sdmx:org.sdmx.infomodel.codelist.Code={agency}:{id}({VERSION}).{code}"
        _name(_el(node, "str:Code", id=code, urn=item_urn), name)


def _attribute(parent: ET.Element, agency: str, id: str, codelist: str | None) -> None:
    node = _el(parent, "str:Attribute", id=id, assignmentStatus="Mandatory")
    _concept_ref(node, agency, id)
    shape = _el(node, "str:LocalRepresentation")
    if codelist is None:
        _el(shape, "str:TextFormat", textType="Integer", minValue="1", maxValue="12")
    else:
        _ref(_el(shape, "str:Enumeration"), "Codelist", agency, codelist)
    relation = _el(_el(node, "str:AttributeRelationship"), "str:PrimaryMeasure")
    _el(relation, "Ref", id="OBS_VALUE")


def _datastructure(parent: ET.Element, agency: str) -> None:
    node = _maintainable(parent, "str:DataStructure", "DataStructure", agency, model.DSD)
    components = _el(node, "str:DataStructureComponents")
    dims = _el(components, "str:DimensionList", id="DimensionDescriptor")
    course = _el(dims, "str:Dimension", id="COURSE", position="1")
    _concept_ref(course, agency, "COURSE")
    shape = _el(course, "str:LocalRepresentation")
    _ref(_el(shape, "str:Enumeration"), "Codelist", agency, model.COURSES)
    time = _el(dims, "str:TimeDimension", id="TIME_PERIOD", position="2")
    _concept_ref(time, agency, "TIME_PERIOD")
    _el(_el(time, "str:LocalRepresentation"), "str:TextFormat", textType="ObservationalTimePeriod")
    attributes = _el(components, "str:AttributeList", id="AttributeDescriptor")
    _attribute(attributes, agency, "OBS_STATUS", model.STATUSES)
    _attribute(attributes, agency, "COVERAGE_MONTHS", None)
    _attribute(attributes, agency, "UNIT_MEASURE", model.UNITS)
    measures = _el(components, "str:MeasureList", id="MeasureDescriptor")
    measure = _el(measures, "str:PrimaryMeasure", id="OBS_VALUE")
    _concept_ref(measure, agency, "OBS_VALUE")
    _el(_el(measure, "str:LocalRepresentation"), "str:TextFormat", textType="Integer")


def structure(
    wanted: dict[str, tuple[str, ...]],
    *,
    courses: dict[str, str],
    agency: str,
    message_id: str,
    prepared: datetime,
) -> bytes:
    """A structure message with the artefacts `wanted` names (`model.wanted`)."""
    root = _el(None, "mes:Structure")
    _header(root, message_id=message_id, prepared=prepared, agency=agency)
    structures = _el(root, "mes:Structures")
    if "dataflow" in wanted:
        flows = _el(structures, "str:Dataflows")
        flow = _maintainable(flows, "str:Dataflow", "Dataflow", agency, model.FLOW)
        _ref(_el(flow, "str:Structure"), "DataStructure", agency, model.DSD)
    if "codelist" in wanted:
        lists = _el(structures, "str:Codelists")
        codes = {
            model.COURSES: courses,
            model.STATUSES: model.STATUS_NAMES,
            model.UNITS: {model.UNIT: "Persons"},
        }
        for id in wanted["codelist"]:
            _codelist(lists, agency, id, codes[id])
    if "conceptscheme" in wanted:
        schemes = _el(structures, "str:Concepts")
        scheme = _maintainable(
            schemes, "str:ConceptScheme", "ConceptScheme", agency, model.CONCEPTS
        )
        for id, name in CONCEPT_NAMES.items():
            _name(_el(scheme, "str:Concept", id=id), name)
    if "datastructure" in wanted:
        _datastructure(_el(structures, "str:DataStructures"), agency)
    written: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return written


def data(
    series: Iterable[model.Series],
    *,
    agency: str,
    message_id: str,
    prepared: datetime,
) -> bytes:
    """Structure-specific data: a `Series` per course, its observations in period order."""
    flow_urn = urn("Dataflow", agency, model.FLOW)
    namespace = f"{flow_urn}:ObsLevelDim:TIME_PERIOD"
    structure_id = f"{agency}_{model.FLOW}_{VERSION}".replace(".", "_")
    root = _el(None, "mes:StructureSpecificData")
    # `xsi:type` names the data set's type in this namespace; ElementTree declares only
    # the namespaces of names, so this one is declared by hand.
    root.set("xmlns:ns1", namespace)
    header = _header(root, message_id=message_id, prepared=prepared, agency=agency)
    used = _el(
        header,
        "mes:Structure",
        structureID=structure_id,
        namespace=namespace,
        dimensionAtObservation="TIME_PERIOD",
    )
    _ref(_el(used, "com:StructureUsage"), "Dataflow", agency, model.FLOW)
    dataset = _el(
        root,
        "mes:DataSet",
        **{
            _q("ss:structureRef"): structure_id,
            _q("ss:dataScope"): "DataStructure",
            _q("xsi:type"): "ns1:DataSetType",
            "action": "Information",
        },
    )
    # The observations are written as text where the tree holds a mark: a tree of a
    # million `Obs` elements took 1.2 GB and 14 s; this takes a tenth of each.
    dataset.text = _MARK
    head, tail = ET.tostring(root, encoding="unicode", xml_declaration=True).split(_MARK)
    parts = [head]  # (its declaration says utf-8, as the bytes are)
    unit = quoteattr(model.UNIT)
    for one in series:
        parts.append(f"<Series COURSE={quoteattr(one.course)}>")
        parts.extend(
            f'<Obs TIME_PERIOD="{model.time_period(period)}" OBS_VALUE="{value}" '
            f'OBS_STATUS={quoteattr(status)} COVERAGE_MONTHS="{model.months(period)}" '
            f"UNIT_MEASURE={unit} />"
            for period, value, status in one.observations
        )
        parts.append("</Series>")
    parts.append(tail)
    return "".join(parts).encode()


_MARK = "\ue000series\ue000"  # a private-use character: never in a course's slug
