defmodule Golden.NarrowRescue.UnknownCall do
  alias Golden.NarrowRescue.Parser

  def parse(text) do
    try do
      text
      |> Parser.tokenize()
      |> Parser.parse()
    rescue
      e -> {:error, e}
    end
  end

  def imported(text) do
    helper(text)
  rescue
    _ -> nil
  end

  def mixed(map) do
    map |> Map.fetch!(:raw) |> Parser.parse()
  rescue
    _ -> nil
  end

  defp helper(text), do: Golden.NarrowRescue.Other.run(text)
end
