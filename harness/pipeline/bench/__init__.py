"""make bench: our iommufd against the base tree's stock one, and against VFIO type1.

Both kernels are built the same way (normal profile, the same fragments; the
stock variant is the pristine tree with our samples laid over it) and boot
the same machines: q35 (mock IOMMU, and its vIOMMU, which stock lacks), then
q35-vtd (VT-d and QEMU's edu device), each kernel twice, in the order ours,
stock, stock, ours, so that a host that gets busier or quieter over the run
favours neither. Each boot runs samples/iommufd/iommufd_bench --measure;
its '@bench' lines (format in the program's header comment) are parsed
here, the samples of a kernel's two boots pooled, into one table per
section with the ratios and targets.

A benchmark, not a test: a missed target is reported, never a failure. Only
a build, boot or benchmark program that did not run to its end fails it.

The modules, by job:
  boots    the measuring boots, in their order, and what each delivered
  parse    the program's '@bench' lines into a Run
  data     what a Run and the Results of all boots hold
  stats    samples pooled over boots, those at full speed, ratios, noise
  tables   the report's tables
  targets  the targets, each met, missed or not measured
  render   the whole report, and the lines that close make bench

This file imports nothing: 'unittest discover -s harness' imports every
package below harness/ as a top-level one (pipeline.bench), and from there
the modules' relative imports would reach past the top.
"""
