defmodule Golden.NarrowRescue.Project.Parser do
  def fetch(config), do: Map.fetch!(config, :raw)

  def parse!(text), do: text |> String.trim() |> String.to_integer()

  def external(text), do: Golden.NarrowRescue.Project.Missing.run(text)
end
