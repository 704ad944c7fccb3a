defmodule Golden.NarrowRescue.RaisersOption do
  alias Golden.NarrowRescue.Parser

  def parse(text) do
    text |> Parser.parse!() |> Map.fetch!(:ast)
  rescue
    e -> {:error, e}
  end

  def quiet(text) do
    Parser.normalize(text)
  rescue
    _ -> text
  end
end
