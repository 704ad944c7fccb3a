defmodule Golden.NarrowRescue.ImplicitDefp do
  def parse(value), do: do_parse(value)

  defp do_parse(value) do
    Date.from_iso8601!(value)
  rescue
    _ in ArgumentError -> :invalid
  end
end
